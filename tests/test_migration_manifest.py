"""Shipped migration files never change: yoyo records only their ids, so an edited file would silently not run."""

from __future__ import annotations

import hashlib
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _manifest() -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (MIGRATIONS / "MANIFEST.sha256").read_text("utf-8").splitlines():
        digest, name = line.split(maxsplit=1)
        out[name.removeprefix("./")] = digest
    return out


def test_every_migration_file_is_in_the_manifest_unchanged() -> None:
    """A new migration is added to MANIFEST.sha256 (`cd migrations && sha256sum <file> >> MANIFEST.sha256`);
    an existing one is never edited: write a new migration instead."""
    manifest = _manifest()
    files = {str(p.relative_to(MIGRATIONS)): p for p in MIGRATIONS.rglob("*.sql")}
    assert sorted(files) == sorted(manifest), "migration files and MANIFEST.sha256 disagree"
    changed = [n for n, p in files.items() if hashlib.sha256(p.read_bytes()).hexdigest() != manifest[n]]
    assert changed == [], f"shipped migrations were edited: {changed}"
