"""Running the studio: checks the address and token rules, then serves the application with uvicorn."""

from __future__ import annotations

import ipaddress
import os

from ..errors import ConfigError
from .app import create_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4983
TOKEN_ENV = "RAWSTORE_STUDIO_TOKEN"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, token: str | None) -> str | None:
    """The token the studio asks for: the argument, else $RAWSTORE_STUDIO_TOKEN; required off the loopback."""
    token = token or os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"the studio listens on {host}, beyond this machine: give it a token (--token or ${TOKEN_ENV})"
        )
    return token


def serve(
    url: str,
    *,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    timeout: float = 1.0,
) -> None:
    """Serve the studio over `url` until interrupted (Ctrl-C). Read-only; see `create_app`."""
    import uvicorn

    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, got {port!r}")
    token = resolve_token(host, token)
    # Without a token the studio is this machine's only: it answers to loopback names alone (no DNS rebinding).
    hosts = None if token is not None else sorted({"127.0.0.1", "localhost", "::1", host})
    app = create_app(url, token=token, timeout=timeout, hosts=hosts)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False, lifespan="on")
