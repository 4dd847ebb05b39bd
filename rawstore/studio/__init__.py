"""rawstore studio: a read-only web UI over the kit's tables (`rawstore studio URL`, extra `rawstore[studio]`).

`create_app(url_or_store)` builds the Starlette application; `serve(url, host=..., port=...)` runs it with uvicorn.
Both need the `studio` extra (Starlette, Jinja2, uvicorn); importing this package alone does not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import StudioConfig, create_app
    from .server import serve

__all__ = ["StudioConfig", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    # The store registers the studio's query sets at import; the web stack loads only when the studio is used.
    if name in ("StudioConfig", "create_app"):
        from . import app

        return getattr(app, name)
    if name == "serve":
        from .server import serve

        return serve
    raise AttributeError(f"module 'rawstore.studio' has no attribute {name!r}")
