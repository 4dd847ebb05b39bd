"""Fixtures shared by the conformance suite: every test that takes `store` runs on each selected backend."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

import rawstore
from tests import dbs

BACKENDS = dbs.selected()


@pytest.fixture(scope="session")
def _migrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, list[str]]]:
    """Per backend: (URL of a freshly created and migrated test database, its kit tables). Built lazily."""
    return {}


def _prepare(backend: str, cache: dict[str, tuple[str, list[str]]], tmp: Path) -> tuple[str, list[str]]:
    if backend not in cache:
        url = dbs.create_database(backend, f"rawstore_test_{os.getpid()}", tmp)
        rawstore.migrate(dbs.direct_url(backend, url))
        cache[backend] = (url, dbs.kit_tables(backend, url))
    return cache[backend]


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=[b for b in BACKENDS if b in dbs.DIRECT])
def direct_backend(request: pytest.FixtureRequest) -> str:
    """A backend reached directly (no PgBouncer): for migrations and other session-level work."""
    return str(request.param)


@pytest.fixture
def db_url(
    backend: str, _migrated: dict[str, tuple[str, list[str]]], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> str:
    """URL of a migrated database whose kit tables are empty at the start of the test."""
    url, tables = _prepare(backend, _migrated, tmp_path_factory.mktemp("db"))
    if backend == "sqlite":
        return dbs.copy_sqlite(url, tmp_path / "test.db")
    dbs.clean(backend, url, tables)
    return url


@pytest.fixture
async def store(backend: str, db_url: str) -> AsyncIterator[rawstore.Store]:
    """An open store on a migrated, empty database of each backend."""
    s = await rawstore.connect(db_url, pgbouncer=backend == "pgbouncer", max_size=10)
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
def app_url(backend: str, db_url: str) -> Iterator[str]:
    """The test database as dbs.RLS_ROLE, with RLS enforced on the kit's tables (and turned off again afterwards);
    for tests marked `requires("row_level_security")`."""
    from rawstore import deploy

    direct = dbs.direct_url(backend, db_url)
    app = dbs.rls_role_url(direct, db_url)
    asyncio.run(deploy.rls(direct, "enable"))
    try:
        yield app
    finally:
        asyncio.run(deploy.rls(direct, "disable"))


@pytest.fixture
def fresh_url(direct_backend: str, tmp_path: Path) -> Callable[[str], str]:
    """Factory: an empty, unmigrated database of the direct backend, by name."""

    def make(name: str) -> str:
        return dbs.create_database(direct_backend, f"{name}_{os.getpid()}", tmp_path)

    return make


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "backends(*names): run only on these backends (others are deselected, not skipped)"
    )
    config.addinivalue_line(
        "markers",
        "requires(*capabilities): run only on backends whose driver declares these capabilities (others are"
        " deselected, not skipped)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        mark = item.get_closest_marker("backends")
        params = getattr(getattr(item, "callspec", None), "params", {})
        name = params.get("backend", params.get("direct_backend"))
        needs = item.get_closest_marker("requires")
        if name is not None and (
            (mark is not None and name not in mark.args)
            or (needs is not None and not all(getattr(dbs.capabilities(name), c) for c in needs.args))
        ):
            drop.append(item)
        else:
            keep.append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
