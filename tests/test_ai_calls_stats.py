"""Conformance: AI call statistics, batch results with atomic de-duplication, and write failures."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

import rawstore
from rawstore import AICallStats, DatabaseError, InvalidInput, ModelStats, RawstoreError, Store
from tests import dbs
from tests.test_ai_calls import call, count, open_store

# -- get_stats -------------------------------------------------------------------------------------------------


async def test_stats_of_no_calls_are_zero(store: Store) -> None:
    stats = await store.ai_calls.get_stats("anything")
    assert stats == AICallStats(0, 0, 0, 0.0, {})
    assert isinstance(stats.total_cost, float)
    assert await store.ai_calls.get_stats("") == AICallStats(0, 0, 0, 0.0, {})


async def test_stats_total_and_per_model_key(store: Store) -> None:
    store.ai_calls.log_call(call("wf/1/a", model_key="fast", model_id="m-1", input_tokens=10, output_tokens=1, cost=1))
    store.ai_calls.log_call(call("wf/1/b", model_key="fast", model_id="m-2", input_tokens=20, output_tokens=2, cost=2))
    store.ai_calls.log_call(call("wf/2", model_key="smart", model_id="m-3", input_tokens=40, output_tokens=4, cost=4))
    store.ai_calls.log_call(call("other", model_key="smart", input_tokens=80, output_tokens=8, cost=8))
    stats = await store.ai_calls.get_stats("wf/")
    assert stats == AICallStats(3, 70, 7, 7.0, {"fast": ModelStats(2, 30, 3, 3.0), "smart": ModelStats(1, 40, 4, 4.0)})
    assert list(stats.per_model) == ["fast", "smart"]
    assert (await store.ai_calls.get_stats("wf/1")).total_calls == 2
    assert (await store.ai_calls.get_stats("wf/1/a")).total_calls == 1
    assert (await store.ai_calls.get_stats("")).total_calls == 4
    assert (await store.ai_calls.get_stats("wf/1/a/")).total_calls == 0


async def test_costs_sum_exactly(store: Store) -> None:
    store.ai_calls.log_call(call(model_key="a", cost=0.1))
    store.ai_calls.log_call(call(model_key="a", cost=0.2))
    stats = await store.ai_calls.get_stats("")
    assert stats.total_cost == 0.3 and stats.per_model["a"].cost == 0.3
    assert 0.1 + 0.2 != 0.3  # what summing floats would have given
    for _ in range(10):
        store.ai_calls.log_call(call(model_key="b", cost=Decimal("0.000000001")))
    stats = await store.ai_calls.get_stats("")
    assert stats.per_model["b"].cost == 1e-8 and stats.total_cost == 0.30000001


async def test_costs_keep_nine_decimals_rounding_half_even(store: Store) -> None:
    cases = {
        "int": (3, 3.0),
        "dec": (Decimal("1.123456789"), 1.123456789),
        "half-down": (Decimal("0.0000000005"), 0.0),  # half to even: 0
        "half-up": (Decimal("0.0000000015"), 2e-9),  # half to even: 2
        "tiny": (1e-12, 0.0),
        "float": (0.000125, 0.000125),
        "big": (Decimal("999999999.9999999996"), 1e9),
    }
    for name, (cost, _) in cases.items():
        store.ai_calls.log_call(call(id=name, cost=cost))
    for name, (_, expected) in cases.items():
        got = await store.ai_calls.get_call(name)
        assert got is not None and got.cost == expected, (name, got and got.cost)


async def test_prefix_wildcards_and_escapes_match_literally(store: Store) -> None:
    topics = [
        "a%b/1",
        "axb/1",
        "a_b/1",
        "ayb/1",
        "a\\b/1",
        "a\\\\b/1",
        "A%B/1",
        "a%b ",
        "a%b",
        "a%",
        "a'b",
        'a"b',
        "naïve/日本",
        "naive/x",
        "\U0010ffff/top",
        "z" + "\U0010ffff" * 200,
    ]
    for t in topics:
        store.ai_calls.log_call(call(t, id=t))

    async def matched(prefix: str) -> int:
        return (await store.ai_calls.get_stats(prefix)).total_calls

    assert await matched("a%b") == 3  # "a%b/1", "a%b ", "a%b"; not "axb/1"
    assert await matched("a%b/") == 1
    assert await matched("a%b ") == 1  # a trailing space counts
    assert await matched("a_b") == 1  # not "axb/1" nor "a%b…"
    assert await matched("a\\b") == 1  # a backslash is a plain character
    assert await matched("a\\\\") == 1
    assert await matched("a\\") == 2
    assert await matched("a%") == 4
    assert await matched("%") == 0
    assert await matched("_") == 0
    assert await matched("A") == 1  # case-sensitive
    assert await matched("a'") == 1 and await matched('a"') == 1
    assert await matched("naïve") == 1 and await matched("nai") == 1
    assert await matched("\U0010ffff") == 1
    assert await matched("z" + "\U0010ffff" * 199) == 1
    assert await matched("z" + "\U0010ffff" * 200) == 1
    assert await matched("") == len(topics)


async def test_prefix_as_long_as_a_topic(store: Store) -> None:
    full = "p" * 255
    store.ai_calls.log_call(call(full))
    store.ai_calls.log_call(call("p" * 254 + "q"))
    assert (await store.ai_calls.get_stats(full)).total_calls == 1
    assert (await store.ai_calls.get_stats("p" * 254)).total_calls == 2


async def test_get_stats_rejects_bad_prefixes(store: Store) -> None:
    for bad in (None, 5, "a\x00", "x" * 256, "\ud800"):
        with pytest.raises(InvalidInput):
            await store.ai_calls.get_stats(bad)  # type: ignore[arg-type]


async def test_large_sums_stay_exact(store: Store) -> None:
    for i in range(3):
        store.ai_calls.log_call(call(id=f"c{i}", input_tokens=2**31 - 1, output_tokens=2**31 - 1, cost=10**9))
    stats = await store.ai_calls.get_stats("")
    assert stats.total_input_tokens == 3 * (2**31 - 1) and stats.total_cost == 3e9


# -- log_batch_results / is_recorded ---------------------------------------------------------------------------


async def test_batch_is_recorded_once(store: Store) -> None:
    results = [call("batch/t", id=f"r{i}", metadata={"i": i, "batch_id": "overridden"}) for i in range(3)]
    assert not await store.ai_calls.is_recorded("batch-1")
    assert await store.ai_calls.log_batch_results("batch-1", results) is True
    assert await store.ai_calls.is_recorded("batch-1")
    assert await store.ai_calls.log_batch_results("batch-1", [*results, call("batch/t", id="r9")]) is False
    assert await count(store) == 3
    got = await store.ai_calls.get_call("r1")
    assert got is not None and got.metadata == {"i": 1, "batch_id": "batch-1"}
    assert not await store.ai_calls.is_recorded("batch-2")
    assert not await store.ai_calls.is_recorded("Batch-1")


async def test_batch_metadata_none_gains_the_batch_id(store: Store) -> None:
    assert await store.ai_calls.log_batch_results("b", [call(id="x")])
    got = await store.ai_calls.get_call("x")
    assert got is not None and got.metadata == {"batch_id": "b"} and got.created_at is not None


async def test_empty_batch_is_recorded(store: Store) -> None:
    assert await store.ai_calls.log_batch_results("empty", []) is True
    assert await store.ai_calls.is_recorded("empty")
    assert await store.ai_calls.log_batch_results("empty", [call()]) is False
    assert await count(store) == 0


async def test_big_batch_in_one_transaction(store: Store) -> None:
    store.ai_calls.batch_size = 100
    results = [call(f"big/{i % 5}", cost=0.01) for i in range(1050)]
    assert await store.ai_calls.log_batch_results("big", results)
    stats = await store.ai_calls.get_stats("big/")
    assert stats.total_calls == 1050 and stats.total_cost == 10.5


async def test_bad_batch_writes_nothing(store: Store) -> None:
    good = call(id="g")
    for bad_results in ([good, call(cost=-1)], [good, "x"], "xy", call(), None, [good, call(prompt="\x00")]):
        with pytest.raises(InvalidInput):
            await store.ai_calls.log_batch_results("b", bad_results)  # type: ignore[arg-type]
    for bad_id in ("", " ", "b" * 256, None, 3, "a\x00"):
        with pytest.raises(InvalidInput):
            await store.ai_calls.log_batch_results(bad_id, [good])  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            await store.ai_calls.is_recorded(bad_id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"results\[1\]\.metadata"):
        await store.ai_calls.log_batch_results("b", [good, call(metadata=["not", "a", "dict"])])
    assert not await store.ai_calls.is_recorded("b")
    assert await count(store) == 0


async def test_batches_are_per_tenant(store: Store) -> None:
    with rawstore.tenant("a"):
        assert await store.ai_calls.log_batch_results("b1", [call(id="x", cost=1)])
        assert await store.ai_calls.is_recorded("b1")
    with rawstore.tenant("b"):
        assert not await store.ai_calls.is_recorded("b1")
        assert await store.ai_calls.log_batch_results("b1", [call(id="x", cost=2)])
        assert (await store.ai_calls.get_stats("")).total_cost == 2.0
    assert not await store.ai_calls.is_recorded("b1")
    with rawstore.tenant("a"):
        assert (await store.ai_calls.get_stats("")).total_cost == 1.0


async def test_concurrent_recorders_of_one_batch_record_it_once(backend: str, db_url: str) -> None:
    s = await open_store(backend, db_url, max_size=8)
    try:
        results = [call("race", cost=0.5) for _ in range(40)]
        outcomes = await asyncio.gather(*(s.ai_calls.log_batch_results("race-1", results) for _ in range(8)))
        assert sorted(outcomes) == [False] * 7 + [True]
        stats = await s.ai_calls.get_stats("race")
        assert stats.total_calls == 40 and stats.total_cost == 20.0
        # Distinct batches at once all record.
        many = await asyncio.gather(*(s.ai_calls.log_batch_results(f"b{i}", results[:5]) for i in range(8)))
        assert many == [True] * 8
        assert await count(s) == 80
    finally:
        await s.close()


@pytest.mark.backends("sqlite")
async def test_two_stores_on_one_sqlite_file_record_a_batch_once(db_url: str) -> None:
    a = await rawstore.connect(db_url, max_size=4)
    b = await rawstore.connect(db_url, max_size=4)
    try:
        results = [call("race", cost=1) for _ in range(25)]
        for round_ in range(5):
            outcomes = await asyncio.gather(
                *(st.ai_calls.log_batch_results(f"r{round_}", results) for st in (a, b, a, b))
            )
            assert sorted(outcomes) == [False, False, False, True]
        assert (await a.ai_calls.get_stats("race")).total_calls == 125
    finally:
        await a.close()
        await b.close()


# -- write failures --------------------------------------------------------------------------------------------

# A trigger the application adds makes the database refuse some rows: `flaky` topics with a plain error (as an outage
# would), `poison` topics with a data error (a value this database will never take).
TRIGGERS: dict[str, tuple[list[str], list[str]]] = {
    "postgres": (
        [
            "CREATE FUNCTION ai_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $f$ BEGIN"
            " IF NEW.topic = 'flaky' THEN RAISE EXCEPTION 'refused for the test'; END IF;"
            " IF NEW.topic = 'poison' THEN RAISE EXCEPTION 'poison' USING ERRCODE = 'check_violation'; END IF;"
            " RETURN NEW; END $f$",
            "CREATE TRIGGER ai_test_refuse BEFORE INSERT ON rs_ai_calls FOR EACH ROW EXECUTE FUNCTION ai_test_refuse()",
        ],
        ["DROP TRIGGER IF EXISTS ai_test_refuse ON rs_ai_calls", "DROP FUNCTION IF EXISTS ai_test_refuse()"],
    ),
    "mysql": (
        [
            "CREATE TRIGGER ai_test_refuse BEFORE INSERT ON rs_ai_calls FOR EACH ROW BEGIN"
            " IF NEW.topic = 'flaky' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused for the test'; END IF;"
            " IF NEW.topic = 'poison' THEN"
            " SIGNAL SQLSTATE '23000' SET MYSQL_ERRNO = 4025, MESSAGE_TEXT = 'poison'; END IF; END"
        ],
        ["DROP TRIGGER IF EXISTS ai_test_refuse"],
    ),
    "sqlite": (
        [
            "CREATE TRIGGER ai_test_refuse BEFORE INSERT ON rs_ai_calls BEGIN"
            " SELECT RAISE(ABORT, 'refused for the test') WHERE NEW.topic = 'flaky';"
            " SELECT RAISE(ABORT, 'CHECK constraint failed: poison') WHERE NEW.topic = 'poison'; END"
        ],
        ["DROP TRIGGER IF EXISTS ai_test_refuse"],
    ),
}


async def _refusing(store: Store) -> list[str]:
    create, drop = TRIGGERS[store.dialect]
    await dbs.ddl(store, *create)
    return drop


async def test_failed_writes_stay_buffered_and_flush_raises(store: Store) -> None:
    store.ai_calls.flush_interval = 3600
    drop = await _refusing(store)
    try:
        for i in range(30):
            store.ai_calls.log_call(call("ok", id=f"a{i}"))
        store.ai_calls.log_call(call("flaky", id="f"))
        for i in range(30):
            store.ai_calls.log_call(call("ok", id=f"b{i}"))
        with pytest.raises(RawstoreError, match="refused for the test"):
            await store.ai_calls.flush()
        with pytest.raises(RawstoreError, match="refused for the test"):
            await store.ai_calls.flush()
    finally:
        await dbs.ddl(store, *drop)
    await store.ai_calls.flush()
    assert await count(store) == 61
    assert (await store.ai_calls.get_stats("")).total_calls == 61


async def test_background_writer_retries_after_a_failure(store: Store) -> None:
    store.ai_calls.flush_interval = 0.02
    drop = await _refusing(store)
    try:
        store.ai_calls.log_call(call("flaky", id="f"))
        store.ai_calls.log_call(call("ok", id="o"))
        await asyncio.sleep(0.2)  # a few failed attempts
        assert await count(store) == 0
    finally:
        await dbs.ddl(store, *drop)
    deadline = asyncio.get_running_loop().time() + 5
    while await count(store) < 2:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)


async def test_rows_the_database_refuses_are_dropped_and_reported(store: Store) -> None:
    store.ai_calls.flush_interval = 3600
    drop = await _refusing(store)
    try:
        for i in range(10):
            store.ai_calls.log_call(call("ok", id=f"a{i}"))
        store.ai_calls.log_call(call("poison", id="p1"))
        store.ai_calls.log_call(call("ok", id="b"))
        store.ai_calls.log_call(call("poison", id="p2"))
        with pytest.raises(DatabaseError, match=r"rejected 2 logged AI call.*'p1', 'p2'"):
            await store.ai_calls.flush()
        await store.ai_calls.flush()  # reported once
        assert await count(store) == 11
        store.ai_calls.log_call(call("poison", id="p3"))
        with pytest.raises(DatabaseError, match="'p3'"):
            await store.ai_calls.flush()
    finally:
        await dbs.ddl(store, *drop)


async def test_close_raises_when_the_final_write_fails(backend: str, db_url: str) -> None:
    s = await open_store(backend, db_url)
    drop = await _refusing(s)
    try:
        s.ai_calls.flush_interval = 3600
        s.ai_calls.log_call(call("flaky"))
        with pytest.raises(RawstoreError, match="refused for the test"):
            await s.close()
    finally:
        again = await open_store(backend, db_url)
        try:
            await dbs.ddl(again, *drop)
        finally:
            await again.close()
