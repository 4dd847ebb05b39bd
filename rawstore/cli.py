"""The `rawstore` console script: migrate, status, rollback, reset, doctor, bench."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import NoReturn

from .errors import ConfigError, RawstoreError
from .url import APP_URL_VARS, MIGRATE_URL_VARS, redact, url_from_env


def _at_least_one(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1, got {text!r}")
    return n


def _percentage(text: str) -> float:
    try:
        n = float(text)
    except ValueError:
        n = 0.0
    if not 0 < n < 1e6:
        raise argparse.ArgumentTypeError(f"must be a positive number of percent, got {text!r}")
    return n


class _Parser(argparse.ArgumentParser):
    """Usage mistakes are one line on stderr, like every other error of the command."""

    def error(self, message: str) -> NoReturn:
        usage = " ".join(self.format_usage().split())
        self.exit(2, f"{self.prog}: error: {message}; {usage} (see {self.prog} --help)\n")


_URL_HELP = "postgresql://…, mysql://… or sqlite:///path.db"
_SCHEMA_HELP = "PostgreSQL schema of the kit's tables (default public; PostgreSQL only)"


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = _Parser(prog="rawstore", description="rawstore: migrations, deploy checks and benchmarks")
    p.add_argument("--version", action="version", version=f"rawstore {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_ in (
        ("migrate", "apply pending migrations (a direct URL: PgBouncer is refused)"),
        ("status", "list migrations and whether each is applied (writes nothing)"),
        ("rollback", "roll back applied migrations, newest first (a direct URL: PgBouncer is refused)"),
    ):
        sp = sub.add_parser(name, help=help_, description=help_ + ". Without URL: $DIRECT_URL, else $DATABASE_URL.")
        sp.add_argument("url", nargs="?", default=None, help=_URL_HELP + " (default: $DIRECT_URL, else $DATABASE_URL)")
        sp.add_argument("--schema", default="public", help=_SCHEMA_HELP)
        if name == "migrate":
            sp.add_argument("--dry-run", action="store_true", help="print the pending migrations' SQL; apply nothing")
        if name == "rollback":
            sp.add_argument(
                "--count", type=_at_least_one, default=None, help="roll back only the newest N >= 1 (default: all)"
            )
    r = sub.add_parser(
        "reset",
        help="drop the kit's tables (rs_*, yoyo's history), nothing else",
        description="Drop every kit table (rs_ prefix, with its indexes, triggers and policies, and the kit's "
        "migration history) and leave every other table untouched. Without --yes it lists what it would drop and "
        "changes nothing. Refused while an application table has a foreign key to a kit table.",
    )
    r.add_argument("url", help=_URL_HELP)
    r.add_argument("--yes", action="store_true", help="really drop (without it: list only)")
    r.add_argument("--schema", default="public", help=_SCHEMA_HELP)
    rl = sub.add_parser(
        "rls",
        help="PostgreSQL row-level security on the kit's tables: enable, disable or status",
        description="enable: add the kit's tenant policy where missing and ENABLE + FORCE ROW LEVEL SECURITY on every "
        "kit table holding tenant rows; disable: NO FORCE + DISABLE (the policies stay); status: show each table. "
        "Idempotent. Connect with row_level_security=True so that every kit call names its tenant.",
    )
    rl.add_argument("action", choices=("enable", "disable", "status"))
    rl.add_argument("url", help=_URL_HELP)
    rl.add_argument("--schema", default="public", help=_SCHEMA_HELP)
    d = sub.add_parser(
        "doctor",
        help="health check: reachability, pooler, migrations, missing kit objects, RLS, capabilities",
        description="Print a short health report of the database; exit status 0 when healthy, 1 otherwise.",
    )
    d.add_argument("url", nargs="?", default=None, help=_URL_HELP + " (default: $DATABASE_URL)")
    d.add_argument("--schema", default="public", help=_SCHEMA_HELP)
    st = sub.add_parser(
        "studio",
        help="a read-only web UI over the kit's tables (extra rawstore[studio])",
        description="Serve rawstore studio: threads and messages, traces as a waterfall, workflow runs, jobs, AI "
        "calls, scores and memories, each page with a JSON twin (?format=json). Every page is read in a read-only "
        "transaction under a statement timeout. Off the loopback address a token is required.",
    )
    st.add_argument("url", nargs="?", default=None, help=_URL_HELP + " (default: $DATABASE_URL)")
    st.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    st.add_argument("--port", type=int, default=4983, help="port to listen on (default 4983)")
    st.add_argument(
        "--token",
        default=None,
        help="token every request must carry (default: $RAWSTORE_STUDIO_TOKEN); required"
        " when --host is not a loopback address",
    )
    st.add_argument(
        "--timeout", type=float, default=1.0, help="seconds any one query may run before it is cancelled (default 1)"
    )
    b = sub.add_parser(
        "bench",
        help="benchmark the hot paths next to the raw driver and print a table (and JSON/HTML reports, comparisons)",
        description="Time the memory hot paths, then the spans hot paths (create_many, update_many, get_trace, "
        "list_traces), rawstore next to the raw driver in the same run; several URLs are benchmarked one after the "
        "other. Each URL is migrated first (a direct URL: PgBouncer is refused); the bench writes under a tenant of "
        "its own and deletes its rows. Below --messages 20000 or --reads 5000 it warns that the ratios are not "
        "stable. Progress goes to stderr: a bar per phase on a terminal (with the rawstore[bench] extra), plain lines "
        "otherwise. --compare OLD.json prints the change of every figure after this run's tables; with --against "
        "NEW.json it compares two report files and runs nothing.",
    )
    b.add_argument(
        "url",
        nargs="*",
        metavar="URL",
        help="database URL(s), benchmarked in turn (default: a temporary SQLite file)",
    )
    b.add_argument(
        "--messages",
        type=int,
        default=100_000,
        help="messages saved into each of two threads, one per side (rawstore, raw driver) (default 100000)",
    )
    b.add_argument("--batch", type=int, default=1000, help="messages per save_messages call (default 1000)")
    b.add_argument("--reads", type=int, default=20_000, help="get_thread calls per side (default 20000)")
    b.add_argument(
        "--spans",
        type=int,
        default=None,
        help="spans written per side by store.spans.create_many, then ended by update_many (default: --messages;"
        " 0 skips the spans suite)",
    )
    b.add_argument(
        "--traces",
        type=int,
        default=None,
        help="traces that list_traces pages through, single-span ones added untimed (default: --spans)",
    )
    b.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when any target is missed ([MISS]), or with --compare when a figure regressed",
    )
    b.add_argument(
        "--json", metavar="PATH", default=None, help="write every figure, the environment and the sizes as JSON"
    )
    b.add_argument(
        "--html", metavar="PATH", default=None, help="write a self-contained HTML report: a chart per hot path"
    )
    b.add_argument(
        "--compare",
        metavar="OLD.json",
        default=None,
        help="after the run, print the change of every figure against an earlier --json file",
    )
    b.add_argument(
        "--against",
        metavar="NEW.json",
        default=None,
        help="with --compare: compare OLD.json with this --json file and run no bench (no URL)",
    )
    b.add_argument(
        "--threshold",
        type=_percentage,
        default=10.0,
        metavar="PCT",
        help="with --compare: a figure worse by more than PCT percent is a regression (default 10)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        # No URL on the command line: the environment's, as the deploy pipeline sets it; none there is a usage error.
        if args.command in ("migrate", "status", "rollback") and args.url is None:
            args.url = url_from_env(MIGRATE_URL_VARS)
        if args.command in ("doctor", "studio") and args.url is None:
            args.url = url_from_env(APP_URL_VARS)
        if args.command == "bench":
            _bench_usage(args)
    except ConfigError as e:
        parser.error(str(e))
    try:
        return _run(args)
    except RawstoreError as e:
        print(f"rawstore: {type(e).__name__}: {_one_line(str(e))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("rawstore: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # one line, never a traceback: the message is what a deploy log needs
        print(f"rawstore: unexpected {type(e).__name__}: {_one_line(redact(str(e)))}", file=sys.stderr)
        return 1


def _bench_usage(args: argparse.Namespace) -> None:
    """--against compares two files: it runs nothing, so nothing that only a run uses may come with it."""
    if args.against is not None:
        if args.compare is None:
            raise ConfigError("bench: --against NEW.json needs --compare OLD.json")
        if args.url:
            raise ConfigError(
                "bench: --compare OLD.json --against NEW.json compares two files and runs no bench; give no URL"
            )
        if args.json is not None or args.html is not None:
            raise ConfigError("bench: --against runs no bench, so there is nothing to write with --json or --html")


def _one_line(message: str) -> str:
    # Drivers' messages carry hints on further lines ("Is the server running ...?"): a deploy log wants one line.
    return " ".join(message.split())


def _run(args: argparse.Namespace) -> int:
    from . import migrator as m

    if args.command == "migrate" and args.dry_run:
        todo = m.pending(args.url, schema=args.schema)
        for mid, sql in todo:
            print(f"-- {mid}\n{sql.rstrip()}\n")
        print(f"-- {len(todo)} pending migration(s); nothing applied")
    elif args.command == "migrate":
        done = m.migrate(args.url, schema=args.schema)
        print(f"applied {len(done)} migration(s) to {redact(args.url)}" + (": " + ", ".join(done) if done else ""))
    elif args.command == "status":
        for mid, applied in m.status(args.url, schema=args.schema).items():
            print(f"{'applied' if applied else 'pending'}  {mid}")
    elif args.command == "rollback":
        done = m.rollback(args.url, schema=args.schema, count=args.count)
        print(f"rolled back {len(done)} migration(s)" + (": " + ", ".join(done) if done else ""))
    elif args.command == "reset":
        from . import deploy

        report = asyncio.run(deploy.reset(args.url, schema=args.schema, yes=args.yes))
        verb = "dropped" if report.dropped else "would drop"
        for table in report.tables:
            print(f"{verb}  {table}")
        if not report.dropped:
            print(f"{len(report.tables)} kit table(s) in {redact(args.url)}; nothing changed (run with --yes to drop)")
        else:
            print(f"dropped {len(report.tables)} kit table(s) from {redact(args.url)}")
    elif args.command == "rls":
        from . import deploy

        tables = asyncio.run(deploy.rls(args.url, args.action, schema=args.schema))
        for t in tables:
            state = "enforced" if t.enabled and t.forced and t.policy else "off" if not t.enabled else "partial"
            print(f"{state:8}  {t.name}" + ("" if t.policy else "  (no tenant policy)"))
        on = sum(t.enabled and t.forced and t.policy for t in tables)
        print(f"row-level security enforced on {on} of {len(tables)} kit table(s) in {redact(args.url)}")
    elif args.command == "doctor":
        from . import deploy

        health = asyncio.run(deploy.doctor(args.url, schema=args.schema))
        print(health.table())
        return 0 if health.healthy else 1
    elif args.command == "studio":
        try:
            from .studio.server import resolve_token, serve
        except ModuleNotFoundError as e:
            if (e.name or "").split(".")[0] not in ("starlette", "jinja2", "uvicorn", "markupsafe"):
                raise
            raise ConfigError(f"rawstore studio needs the {e.name} package: pip install 'rawstore[studio]'") from e
        token = resolve_token(args.host, args.token)  # refused before anything is printed or opened
        print(f"rawstore studio on http://{args.host}:{args.port}/ over {redact(args.url)} (Ctrl-C stops)")
        serve(args.url, host=args.host, port=args.port, token=token, timeout=args.timeout)
    else:
        from .bench import compare_files
        from .bench import main as bench_main

        if args.against is not None:
            return compare_files(args.compare, args.against, threshold=args.threshold, check=args.check)
        code: int = bench_main(
            args.url,
            messages=args.messages,
            batch=args.batch,
            reads=args.reads,
            check=args.check,
            spans=args.spans,
            traces=args.traces,
            json_path=args.json,
            html_path=args.html,
            compare=args.compare,
            threshold=args.threshold,
        )
        return code
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
