"""A failed migration reports the statement's own error, not the cleanup's."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import rawstore
from tests.test_near_equal_keys import _sql


@pytest.mark.backends("mysql")
def test_a_failed_ddl_statement_is_reported_not_the_lost_savepoint(
    direct_backend: str, fresh_url: Callable[[str], str]
) -> None:
    """MariaDB commits each DDL statement, which drops yoyo's savepoint; yoyo's ROLLBACK TO SAVEPOINT then fails
    with "SAVEPOINT ... does not exist". The message names the real cause."""
    url = fresh_url("rs_mig_err")
    rawstore.migrate(url)
    later = [m for m in rawstore.status(url) if m >= "0009"]
    rawstore.rollback(url, count=len(later))
    _sql("mysql", url, "SELECT 1", "CREATE TABLE rs_ai_calls (x INTEGER)")
    with pytest.raises(rawstore.MigrationError) as err:
        rawstore.migrate(url)
    assert "already exists" in str(err.value) and "SAVEPOINT" not in str(err.value), err.value
