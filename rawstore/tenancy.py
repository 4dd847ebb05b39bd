"""The current tenant, carried by a contextvar so every call in a `with tenant(...)` block is scoped."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from .errors import InvalidInput, TenantRequired

DEFAULT_TENANT = "default"
MAX_TENANT_LEN = 64

TenancyMode = Literal["optional", "required"]

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("rawstore_tenant", default=None)


def _check_tenant(tenant_id: object) -> str:
    if not isinstance(tenant_id, str) or not tenant_id or not tenant_id.strip():
        raise InvalidInput(f"tenant id must be a non-empty string, got {tenant_id!r}")
    if len(tenant_id) > MAX_TENANT_LEN:
        raise InvalidInput(f"tenant id is longer than {MAX_TENANT_LEN} characters")
    if "\x00" in tenant_id:
        raise InvalidInput("tenant id must not contain NUL characters")
    return tenant_id


@contextmanager
def tenant(tenant_id: str) -> Iterator[str]:
    """Scope every rawstore call made inside the block (in this task and the tasks it starts) to `tenant_id`.

    Blocks nest; the innermost wins. Background tasks started elsewhere do not see it.
    """
    token = _current.set(_check_tenant(tenant_id))
    try:
        yield tenant_id
    finally:
        _current.reset(token)


def current_tenant() -> str | None:
    """The tenant set by the innermost `tenant()` block, or None outside any."""
    return _current.get()


def resolve_tenant(mode: TenancyMode) -> str:
    """The tenant a call runs as; raises TenantRequired (before any I/O) when one is required and absent."""
    t = _current.get()
    if t is not None:
        return t
    if mode == "required":
        raise TenantRequired("this store was opened with tenancy='required'; wrap the call in rawstore.tenant(...)")
    return DEFAULT_TENANT
