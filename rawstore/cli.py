"""The `rawstore` console script: migrate, status, rollback, bench."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .errors import RawstoreError
from .url import redact


def _at_least_one(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1, got {text!r}")
    return n


def _parser() -> argparse.ArgumentParser:
    from . import __version__

    p = argparse.ArgumentParser(prog="rawstore", description="rawstore: migrations and benchmarks")
    p.add_argument("--version", action="version", version=f"rawstore {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("migrate", "apply pending migrations (a direct URL: PgBouncer is refused)"),
        ("status", "list migrations and whether each is applied (writes nothing)"),
        ("rollback", "roll back applied migrations, newest first (a direct URL: PgBouncer is refused)"),
    ):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("url", help="postgresql://…, mysql://… or sqlite:///path.db")
        sp.add_argument(
            "--schema", default="public", help="PostgreSQL schema of the kit's tables (default public; PostgreSQL only)"
        )
        if name == "rollback":
            sp.add_argument(
                "--count", type=_at_least_one, default=None, help="roll back only the newest N >= 1 (default: all)"
            )
    b = sub.add_parser(
        "bench",
        help="benchmark the hot paths next to the raw driver and print a table",
        description="Time the memory hot paths, rawstore next to the raw driver in the same run. The URL is migrated "
        "first (a direct URL: PgBouncer is refused); the bench writes under a tenant of its own and deletes its rows. "
        "Below --messages 20000 or --reads 5000 it warns that the ratios are not stable.",
    )
    b.add_argument("url", nargs="?", default=None, help="database URL (default: a temporary SQLite file)")
    b.add_argument(
        "--messages",
        type=int,
        default=100_000,
        help="messages saved into each of two threads, one per side (rawstore, raw driver) (default 100000)",
    )
    b.add_argument("--batch", type=int, default=1000, help="messages per save_messages call (default 1000)")
    b.add_argument("--reads", type=int, default=20_000, help="get_thread calls per side (default 20000)")
    b.add_argument("--check", action="store_true", help="exit 1 when any target is missed ([MISS])")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import migrator as m

    try:
        if args.command == "migrate":
            done = m.migrate(args.url, schema=args.schema)
            print(f"applied {len(done)} migration(s) to {redact(args.url)}" + (": " + ", ".join(done) if done else ""))
        elif args.command == "status":
            for mid, applied in m.status(args.url, schema=args.schema).items():
                print(f"{'applied' if applied else 'pending'}  {mid}")
        elif args.command == "rollback":
            done = m.rollback(args.url, schema=args.schema, count=args.count)
            print(f"rolled back {len(done)} migration(s)" + (": " + ", ".join(done) if done else ""))
        else:
            from .bench import main as bench_main

            code: int = bench_main(
                args.url, messages=args.messages, batch=args.batch, reads=args.reads, check=args.check
            )
            return code
    except RawstoreError as e:
        print(f"rawstore: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
