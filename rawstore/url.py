"""Database URLs: which dialect, how each driver connects, and the matching yoyo (migration) URL."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from .errors import ConfigError
from .sqlfiles import Dialect

_SCHEMA = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Target:
    dialect: Dialect
    url: str
    yoyo_url: str
    sqlite_path: str = ""
    mysql: dict[str, Any] = field(default_factory=dict)
    # `?pgbouncer=true` in a PostgreSQL URL (Prisma's convention): the URL reaches a transaction-pooling PgBouncer.
    pgbouncer: bool = False
    # `sqlite:///path.db?mode=ro`: every connection opens the file read-only (SQLite's own mode=ro).
    read_only: bool = False


# Where URLs come from when the caller gives none: the application's (possibly pooled) URL, and the direct URL that
# migrations and LISTEN need (Prisma's DATABASE_URL / DIRECT_URL pair).
APP_URL_VARS = ("DATABASE_URL", "RAWSTORE_DATABASE_URL")
MIGRATE_URL_VARS = ("DIRECT_URL", "DATABASE_URL", "RAWSTORE_DATABASE_URL")
_TRUE = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def url_from_env(names: tuple[str, ...]) -> str:
    """The first of these environment variables that is set (and not blank); ConfigError naming them otherwise."""
    for name in names:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    raise ConfigError(f"no database URL given, and none of {', '.join(names)} is set in the environment")


# The packages each extra installs, by import name. A ModuleNotFoundError for one of them means the extra is missing
# (pip installs `rawstore` alone with SQLite only); any other missing module is a real bug and is re-raised.
EXTRA_MODULES: dict[Dialect, tuple[str, ...]] = {
    "postgres": ("asyncpg", "psycopg"),
    "mysql": ("aiomysql", "pymysql"),
    "sqlite": ("aiosqlite",),
}
_URL_KIND: dict[Dialect, str] = {"postgres": "postgresql://", "mysql": "mysql://", "sqlite": "sqlite:///"}


def missing_extra(dialect: Dialect, error: ModuleNotFoundError) -> NoReturn:
    """Raise a ConfigError naming the extra to install, if `error` is one of that extra's packages missing."""
    name = (error.name or "").split(".")[0]
    if name not in EXTRA_MODULES[dialect]:
        raise error
    raise ConfigError(
        f"{_URL_KIND[dialect]} URLs need the {name} package, which is not installed: pip install 'rawstore[{dialect}]'"
    ) from error


def check_schema(schema: object) -> str:
    if not isinstance(schema, str) or not _SCHEMA.match(schema):
        raise ConfigError(f"schema must be a plain identifier (letters, digits, _), got {schema!r}")
    return schema


def parse_url(url: object, *, schema: str = "public") -> Target:
    """Understand `postgresql://`, `mysql://` (MariaDB too) and `sqlite:///path` URLs.

    `schema` must be a plain identifier, and other than "public" only on PostgreSQL (ConfigError otherwise).
    """
    if not isinstance(url, str) or "://" not in url:
        raise ConfigError(f"not a database URL: {url!r}")
    scheme = url.split("://", 1)[0].lower()
    check_schema(schema)
    if schema != "public" and scheme in ("mysql", "mariadb", "sqlite"):
        # Silently ignoring it would put the tables somewhere other than where the caller asked.
        raise ConfigError(
            f"schema {schema!r}: schemas are PostgreSQL only; on {scheme}:// the kit's tables live in the database "
            "the URL names (leave the schema out, or give 'public')"
        )
    if scheme in ("postgresql", "postgres"):
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        flag = query.pop("pgbouncer", None)
        if flag is not None and flag.lower() not in _TRUE:
            raise ConfigError(f"pgbouncer= in a database URL must be true or false, got {flag!r}")
        pooled = flag is not None and _TRUE[flag.lower()]
        # asyncpg would send an unknown query parameter to the server as a setting: the flag is the kit's alone.
        plain = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
        if schema != "public":
            query["schema"] = schema
        yoyo = urlunsplit(("postgresql+psycopg", parts.netloc, parts.path, urlencode(query), ""))
        return Target("postgres", plain, yoyo, pgbouncer=pooled)
    if scheme in ("mysql", "mariadb"):
        parts = urlsplit(url)
        db = parts.path.lstrip("/")
        if not db:
            raise ConfigError("a mysql:// URL must name its database: mysql://user@host:3306/dbname")
        params: dict[str, Any] = {"host": parts.hostname or "127.0.0.1", "port": parts.port or 3306, "db": db}
        if parts.username:
            params["user"] = unquote(parts.username)
        if parts.password:
            params["password"] = unquote(parts.password)
        yoyo = urlunsplit(("mysql", parts.netloc, parts.path, parts.query, ""))
        return Target("mysql", url, yoyo, mysql=params)
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise ConfigError("use sqlite:///relative/path.db or sqlite:////absolute/path.db")
        path, _, option = url[len("sqlite:///") :].partition("?")
        if path.startswith(":memory:"):
            raise ConfigError("rawstore needs a SQLite file (its pool opens several connections), not :memory:")
        if not path:
            raise ConfigError("use sqlite:///relative/path.db or sqlite:////absolute/path.db")
        read_only = False
        if option:
            if option not in ("mode=ro", "mode=rw"):
                raise ConfigError(f"unsupported SQLite URL option {option!r}: only ?mode=ro (read-only) is understood")
            read_only = option == "mode=ro"
        return Target("sqlite", url, url.partition("?")[0], sqlite_path=path, read_only=read_only)
    raise ConfigError(f"unsupported database URL scheme {scheme!r}: use postgresql://, mysql:// or sqlite:///")


def redact(url: str) -> str:
    """The URL without its password (in the user part or a `password=` parameter), for messages and logs."""
    url = re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", url, flags=re.IGNORECASE)
