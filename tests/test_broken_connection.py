"""PostgreSQL: a connection whose protocol a proxy broke (an unsolicited FATAL ErrorResponse, as PgBouncer sends
around a server restart) is discarded; the call on it raises ConnectionLost, and the next call works."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

import pytest

import rawstore
from rawstore import Thread

pytestmark = pytest.mark.backends("postgres", "pgbouncer")


def _error_response(code: str, message: str) -> bytes:
    fields = b"".join(
        k + v.encode() + b"\0" for k, v in ((b"S", "FATAL"), (b"V", "FATAL"), (b"C", code), (b"M", message))
    )
    body = fields + b"\0"
    return b"E" + struct.pack("!i", len(body) + 4) + body


class Proxy:
    """A loopback TCP proxy in front of the database that can push bytes to its clients unasked."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.clients: list[asyncio.StreamWriter] = []
        self.tasks: set[asyncio.Task[None]] = set()
        self.server: asyncio.base_events.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self.clients.append(writer)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            with contextlib.suppress(Exception):
                dst.close()

        for t in (pump(reader, up_writer), pump(up_reader, writer)):
            task = asyncio.ensure_future(t)
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def inject(self, data: bytes) -> None:
        for w in self.clients:
            if not w.is_closing():
                w.write(data)

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for w in self.clients:
            w.close()
        for t in list(self.tasks):
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def _proxied(db_url: str) -> AsyncIterator[tuple[Proxy, str]]:
    p = urlsplit(db_url)
    proxy = Proxy(p.hostname or "127.0.0.1", p.port or 5432)
    port = await proxy.start()
    netloc = p.netloc.rsplit(":", 1)[0] + f":{port}"
    try:
        yield proxy, urlunsplit((p.scheme, netloc, p.path, p.query, ""))
    finally:
        await proxy.close()


@pytest.mark.parametrize("code", ["08P01", "57P01"])
async def test_unsolicited_fatal_error_discards_the_connection(backend: str, db_url: str, code: str) -> None:
    async with _proxied(db_url) as (proxy, url):
        store = await rawstore.connect(url, pgbouncer=backend == "pgbouncer", min_size=1, max_size=1)
        try:
            await store.memory.save_thread(Thread("t1", resource_id="r"))
            # The idle pooled connection receives a FATAL it did not ask for; the proxy keeps the socket open.
            proxy.inject(_error_response(code, "injected by the test proxy"))
            await asyncio.sleep(0.05)
            try:
                got = await store.memory.get_thread("t1")
            except rawstore.ConnectionLost:
                pass  # the call may fail, but only as ConnectionLost
            else:
                assert got is not None and got.id == "t1"  # or be retried on a fresh connection
            # Every later call works, on a new connection.
            for i in range(3):
                await store.memory.save_thread(Thread(f"t{i + 2}", resource_id="r"))
                assert (await store.memory.get_thread(f"t{i + 2}")) is not None
        finally:
            await store.close()


async def test_fatal_error_inside_a_transaction_is_connection_lost(backend: str, db_url: str) -> None:
    async with _proxied(db_url) as (proxy, url):
        store = await rawstore.connect(url, pgbouncer=backend == "pgbouncer", min_size=1, max_size=1)
        try:
            with pytest.raises(rawstore.ConnectionLost):
                async with store.transaction() as tx:
                    await tx.memory.save_thread(Thread("t1", resource_id="r"))
                    proxy.inject(_error_response("08P01", "injected by the test proxy"))
                    await asyncio.sleep(0.05)
                    await tx.memory.save_thread(Thread("t2", resource_id="r"))
            assert await store.memory.get_thread("t1") is None
            await store.memory.save_thread(Thread("t3", resource_id="r"))
            assert await store.memory.get_thread("t3") is not None
        finally:
            await store.close()
