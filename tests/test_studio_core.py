"""The studio over HTTP on every backend: pages and their JSON twins, keyset pages, tenants, escaping, read-only
answers, the statement timeout, the token, and the CLI's address rule. A real uvicorn server over a real database."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

import rawstore
from rawstore import cli
from rawstore.studio.app import read_only_url
from rawstore.studio.web import Req, View, page
from tests.studio_support import XSS, get, run, running_studio, seed_threads, studio_url

# A page that only tests reach: it runs a statement far longer than any studio timeout.
SLOW = (
    "WITH RECURSIVE d(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM d WHERE n < 1000)"
    " SELECT COUNT(*) FROM d d1, d d2, d d3"
)


@page("/_test/slow", "test-slow")
async def _slow(req: Req) -> View:
    await req.tx.fetch(SLOW)
    return View("error.html", "unreachable", {})


@page("/_test/write", "test-write")
async def _write(req: Req) -> View:
    await req.tx.memory.save_thread(rawstore.Thread(id="written-by-studio", resource_id="r"))
    return View("error.html", "unreachable", {})


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [v for k, v in attrs if k == "href" and v]
        if tag == "script":
            self.scripts += 1


def _parse(html: str) -> _Links:
    p = _Links()
    p.feed(html)
    return p


def _seed(backend: str, url: str, **kw: object) -> None:
    run(seed_threads(url, pgbouncer=backend == "pgbouncer", **kw))  # type: ignore[arg-type]


def test_pages_render_and_have_json_twins(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for path in ("/", "/threads", "/resources/user/1", "/thread/t-1"):
            r = get(base, path)
            assert r.status_code == 200, (path, r.text[:500])
            assert r.headers["content-type"].startswith("text/html")
            assert "default-src 'none'" in r.headers["content-security-policy"]
            twin = get(base, path + "?format=json")
            assert twin.status_code == 200 and twin.headers["content-type"] == "application/json"
            assert twin.json()["tenant"] == "default"
        overview = get(base, "/?format=json").json()["data"]
        assert overview["dialect"] == {"pgbouncer": "postgres"}.get(backend, backend)
        names = {t["name"] for t in overview["tables"]}
        assert {"rs_threads", "rs_messages", "rs_ai_spans", "rs_jobs"} <= names
        assert overview["server_version"]
        assert "default" in overview["tenants"]
        res = get(base, "/threads?format=json").json()["data"]["resources"]
        assert [(r["resource_id"], r["threads"]) for r in res] == [("user-2", 1), ("user/1", 2)]
        threads = get(base, "/resources/user/1?format=json").json()["data"]
        assert {t["id"] for t in threads["threads"]} == {"t-1", "t-2"}
        assert threads["resource"]["working_memory"].startswith("# Notes")
        msgs = get(base, "/thread/t-1?format=json").json()["data"]["messages"]
        assert [m["id"] for m in msgs] == [f"m-{i:04d}" for i in range(5)]
        assert msgs[0]["content"] == XSS


def test_every_value_is_escaped(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for path in ("/resources/user/1", "/thread/t-1"):
            html = get(base, path).text
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "&lt;script&gt;alert(" in html
            assert _parse(html).scripts == 0


def test_keyset_pages_cover_every_message_once(backend: str, db_url: str) -> None:
    _seed(backend, db_url, messages=120)
    with running_studio(studio_url(backend, db_url)) as base:
        seen: list[str] = []
        path: str | None = "/thread/t-1?format=json&limit=50"
        pages = 0
        while path is not None:
            body = get(base, path).json()
            seen += [m["id"] for m in body["data"]["messages"]]
            path = body["next"]
            pages += 1
            assert path is None or "offset" not in path
        assert pages == 3 and seen == [f"m-{i:04d}" for i in range(120)]
        html = get(base, "/thread/t-1?limit=50").text
        nxt = [h for h in _parse(html).hrefs if "cursor=" in h]
        assert len(nxt) == 1 and parse_qs(urlsplit(nxt[0]).query)["limit"] == ["50"]


BAD_REQUESTS = [
    ("/thread/t-1?limit=501", 400),
    ("/thread/t-1?limit=0", 400),
    ("/thread/t-1?limit=ten", 400),
    ("/thread/t-1?cursor=garbage", 400),
    ("/threads?cursor=bm90LWEtY3Vyc29y", 400),
    ("/thread/missing", 404),
    ("/threads?tenant=" + "x" * 65, 400),
    ("/no/such/page", 404),
]


def test_bad_requests_get_typed_answers(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for path, status in BAD_REQUESTS:
            r = get(base, path)
            assert r.status_code == status, (path, r.text[:300])
            if path.startswith("/thread"):
                j = get(base, path + ("&" if "?" in path else "?") + "format=json")
                assert j.status_code == status and "error" in j.json(), path


def test_tenants_are_kept_apart(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    _seed(backend, db_url, tenant_id="acme", messages=2)
    with running_studio(studio_url(backend, db_url)) as base:
        acme = get(base, "/thread/t-1?tenant=acme&format=json").json()
        assert [m["id"] for m in acme["data"]["messages"]] == ["m-0000", "m-0001"]
        assert len(get(base, "/thread/t-1?format=json").json()["data"]["messages"]) == 5
        html = get(base, "/threads?tenant=acme").text
        assert '<option value="acme" selected>' in html and '<option value="default">' in html
        assert all("tenant=acme" in h for h in _parse(html).hrefs if h.startswith("/resources/"))


def test_nothing_can_write(backend: str, db_url: str) -> None:
    _seed(backend, db_url)
    with running_studio(studio_url(backend, db_url)) as base:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            r = httpx.request(method, base + "/thread/t-1", timeout=30)
            assert r.status_code == 405
        r = get(base, "/_test/write?format=json")
        assert r.status_code == 500 and r.json()["kind"] == "ReadOnly"

    async def check() -> None:
        async with rawstore.connect(db_url, pgbouncer=backend == "pgbouncer") as store:
            assert await store.memory.get_thread("written-by-studio") is None

    run(check())


def test_a_slow_query_is_cancelled(backend: str, db_url: str) -> None:
    with running_studio(studio_url(backend, db_url), timeout=0.3) as base:
        r = get(base, "/_test/slow?format=json")
        assert r.status_code == 503 and r.json()["kind"] == "StatementTimeout"
        assert get(base, "/threads").status_code == 200  # the pooled connection serves the next page


def test_token_is_required_when_set(backend: str, db_url: str) -> None:
    token = "s3cret-token-for-tests"
    with running_studio(studio_url(backend, db_url), token=token) as base:
        assert get(base, "/").status_code == 401
        assert get(base, "/", headers={"authorization": "Bearer wrong-token"}).status_code == 401
        assert get(base, "/", headers={"authorization": f"Bearer {token}"}).status_code == 200
        with httpx.Client(base_url=base, timeout=30) as c:
            r = c.get(f"/threads?token={token}&tenant=default")
            assert r.status_code == 303 and "token" not in r.headers["location"]
            assert c.get(r.headers["location"]).status_code == 200  # the cookie carries it from now on
        # The redirect never leaves the studio, whatever the path looks like.
        r = httpx.get(f"{base}//evil.example/x?token={token}", timeout=30)
        assert r.status_code == 303 and r.headers["location"] == "/evil.example/x"


def test_cli_refuses_a_public_address_without_token(
    backend: str, db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RAWSTORE_STUDIO_TOKEN", raising=False)
    assert cli.main(["studio", db_url, "--host", "0.0.0.0", "--port", "1"]) == 1
    out, err = capsys.readouterr()
    assert "token" in err and len(err.strip().splitlines()) == 1
    assert out == ""  # no banner for a studio that does not start


@pytest.mark.backends("sqlite")
def test_sqlite_is_opened_read_only(backend: str, db_url: str) -> None:
    assert read_only_url(db_url).endswith("?mode=ro")
    assert read_only_url(db_url + "?mode=ro") == db_url + "?mode=ro"
    assert json.loads(json.dumps({"ok": True}))
