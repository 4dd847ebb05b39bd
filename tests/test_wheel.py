"""The built wheel: it carries the SQL and migration files, installs into a clean venv and works from there."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from rawstore.sqlfiles import DIALECTS

REPO = Path(__file__).resolve().parent.parent
BIN = "Scripts" if sys.platform == "win32" else "bin"


def _sh(cmd: list[str], *, cwd: Path, timeout: float, env: dict[str, str] | None = None) -> str:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)
    assert r.returncode == 0, f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout


def _clean_env() -> dict[str, str]:
    """The environment without anything that would let the source tree or the test venv leak in."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel from a copy of the project (so the build cannot write into the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    for name in ("rawstore", "sql", "migrations"):
        shutil.copytree(REPO / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("dist")
    if importlib.util.find_spec("build") and importlib.util.find_spec("hatchling"):
        cmd = [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(src)]
    else:
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(out), str(src)]
    _sh(cmd, cwd=src, timeout=300)
    wheels = list(out.glob("rawstore-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.mark.slow
def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith(".dist-info/entry_points.txt"))
        metadata = next(z.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    for d in DIALECTS:
        assert f"rawstore/sql/{d}/memory.sql" in names
        assert f"rawstore/migrations/{d}/0001_memory_threads.sql" in names
        assert f"rawstore/migrations/{d}/0001_memory_threads.rollback.sql" in names
    # Every migration and query file of the checkout is shipped.
    for kind in ("sql", "migrations"):
        for f in (REPO / kind).rglob("*.sql"):
            assert f"rawstore/{kind}/{f.relative_to(REPO / kind).as_posix()}" in names
    assert "rawstore/__init__.py" in names
    assert "rawstore/py.typed" in names
    # The studio's templates and static files ship inside the package (no build step, nothing fetched).
    for kind in ("templates", "static"):
        for f in (REPO / "rawstore" / "studio" / kind).iterdir():
            assert f"rawstore/studio/{kind}/{f.name}" in names
    assert "rawstore = rawstore.cli:main" in entry_points
    assert not [n for n in names if n.startswith(("tests/", "sql/", "migrations/", "benchmarks/"))]
    assert not [n for n in names if "__pycache__" in n]
    assert "Requires-Dist: yoyo-migrations" in metadata


USE_IT = textwrap.dedent(
    """
    import asyncio
    import sys
    from pathlib import Path

    import rawstore
    from rawstore.sqlfiles import data_dir

    prefix = Path(sys.prefix).resolve()
    for p in (Path(rawstore.__file__), data_dir("sql"), data_dir("migrations")):
        assert prefix in p.resolve().parents, f"{p} is not inside the venv {prefix}"

    async def main(url: str) -> None:
        status = rawstore.status(url)
        assert "0001_memory_threads" in status and all(status.values()), status
        async with rawstore.connect(url) as store:
            await store.memory.save_thread(rawstore.Thread("t1", resource_id="u1", title="from the wheel"))
            await store.memory.save_messages(
                [rawstore.Message(f"m{i}", "t1", "user", {"text": f"hello {i}"}) for i in range(3)]
            )
            page = await store.memory.list_messages("t1")
            assert [m.id for m in page.items] == ["m0", "m1", "m2"], page
            assert page.items[2].content == {"text": "hello 2"}
            thread = await store.memory.get_thread("t1")
            assert thread is not None and thread.title == "from the wheel"
        print("OK")

    asyncio.run(main(sys.argv[1]))
    """
)


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_wheel_installs_and_works(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    _sh([sys.executable, "-m", "venv", str(venv)], cwd=tmp_path, timeout=300, env=_clean_env())
    py = venv / BIN / "python"
    _sh(
        [str(py), "-m", "pip", "install", "--disable-pip-version-check", "--no-input", str(wheel)],
        cwd=tmp_path,
        timeout=600,
        env=_clean_env(),
    )
    work = tmp_path / "work"
    work.mkdir()
    assert REPO not in work.resolve().parents
    db = work / "app.db"
    url = f"sqlite:///{db}"

    out = _sh([str(venv / BIN / "rawstore"), "migrate", url], cwd=work, timeout=120, env=_clean_env())
    assert "0001_memory_threads" in out
    assert db.is_file()
    out = _sh([str(venv / BIN / "rawstore"), "status", url], cwd=work, timeout=120, env=_clean_env())
    assert "applied  0001_memory_threads" in out

    script = work / "use_it.py"
    script.write_text(USE_IT)
    out = _sh([str(py), str(script), url], cwd=work, timeout=120, env=_clean_env())
    assert out.strip().splitlines()[-1] == "OK"
