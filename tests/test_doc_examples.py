"""Every ```python example in README.md and docs/*.md runs as written, on every direct backend.

How the examples run (the convention the docs are written to):
- The blocks of one file run in order, in one namespace, like one session of `python -m asyncio`: top-level `await`
  works, and a name imported or defined by an earlier block of the same file stays defined. A block without
  top-level `await` runs outside any event loop, so `asyncio.run(main())` works as in a script.
- The namespace starts with one name, `store`: an open Store (`store = await rawstore.connect(url)`) on a freshly
  migrated database of the backend under test. Everything else an example uses (`rawstore`, `Status`, its own
  variables) it must import or define itself.
- The application's own table `projects (id, name)`, which the README's transaction example writes to, exists.
- A placeholder URL written `"postgresql://…"` or `"mysql://…"` (with the ellipsis) stands for "your database" and
  is replaced by the URL of the database under test. Any other URL runs as written, e.g. `sqlite:///chat.db`, in a
  temporary working directory.
- A block preceded by the line `<!-- no-run -->` is not run. Keep these rare: only for an example that truly cannot
  run here (an external service); none needs it today.
"""

from __future__ import annotations

import ast
import asyncio
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import rawstore

REPO = Path(__file__).resolve().parent.parent
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
NO_RUN = "<!-- no-run -->"
PLACEHOLDER_URL = re.compile(r"""(["'])(?:postgresql|postgres|mysql|mariadb)://…\1""")
FENCE = re.compile(r"^```(\S*)\s*$")


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, code) of each ```python block of a Markdown file, without those marked no-run."""
    blocks: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        start, lang = i, m.group(1)
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        previous = next((line.strip() for line in reversed(lines[:start]) if line.strip()), "")
        if lang == "python" and previous != NO_RUN:
            blocks.append((start + 1, "\n".join(body) + "\n"))
    return blocks


def test_every_doc_file_is_found_and_has_examples() -> None:
    assert {p.name for p in DOC_FILES} >= {"README.md", "ai_calls.md", "jobs.md", "workflows.md"}
    assert all(python_blocks(p) for p in DOC_FILES if p.name in ("README.md", "jobs.md", "workflows.md"))


def test_block_extraction(tmp_path: Path) -> None:
    doc = tmp_path / "x.md"
    doc.write_text("text\n```python\na = 1\n```\n\n```sh\nls\n```\n<!-- no-run -->\n\n```python\nboom\n```\n")
    assert python_blocks(doc) == [(2, "a = 1\n")]


def run_blocks(path: Path, url: str, blocks: list[tuple[int, str]]) -> None:
    with asyncio.Runner() as runner:
        store = runner.run(_open(url))
        namespace: dict[str, Any] = {"__name__": "__doc_example__", "store": store}
        try:
            for line, code in blocks:
                # Padded so that a traceback's line numbers are the Markdown file's own.
                code = "\n" * line + PLACEHOLDER_URL.sub(lambda m: repr(url), code)
                try:
                    compiled = compile(code, str(path), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
                    result = eval(compiled, namespace)
                    if asyncio.iscoroutine(result):
                        runner.run(result)
                except Exception:
                    # Reported as text: pytest's own rendering would try to parse the Markdown as Python.
                    pytest.fail(f"the example at {path.name}:{line} fails:\n{traceback.format_exc()}", pytrace=False)
        finally:
            # Also a store an example opened but, having failed, did not close (close() is idempotent).
            for s in {id(v): v for v in (store, *namespace.values()) if isinstance(v, rawstore.Store)}.values():
                runner.run(s.close())


async def _open(url: str) -> rawstore.Store:
    store = await rawstore.connect(url)
    async with store.transaction() as tx:
        await tx.execute("CREATE TABLE projects (id VARCHAR(64) PRIMARY KEY, name VARCHAR(200) NOT NULL)")
    return store


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: p.name)
def test_doc_examples_run(
    doc: Path, direct_backend: str, fresh_url: Callable[[str], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocks = python_blocks(doc)
    if not blocks:
        return
    url = fresh_url("rs_doc_" + re.sub(r"\W", "_", doc.stem.lower()))
    rawstore.migrate(url)
    monkeypatch.chdir(tmp_path)
    run_blocks(doc, url, blocks)
