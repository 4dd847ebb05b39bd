"""Turning a View into HTML (Jinja2, every value escaped) or into its JSON twin, and the template helpers."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import jinja2
import msgspec
from markupsafe import Markup

_json = msgspec.json.Encoder(enc_hook=str, order="deterministic")


def to_json(value: Any) -> bytes:
    """Any value a page holds (records, enums, datetimes, bytes...) as JSON; anything odd becomes its str()."""
    return _json.encode(value)


def pretty(value: Any) -> str:
    """A value as indented JSON for display (escaped by the template like any other text)."""
    return msgspec.json.format(to_json(value), indent=2).decode("utf-8")


def preview(value: Any, width: int = 120) -> str:
    """One line of a JSON value, cut to `width` characters, for a collapsed row."""
    text = value if isinstance(value, str) else to_json(value).decode("utf-8")
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def message_text(content: Any) -> str | None:
    """The text a message shows: a plain string, or the text parts of a {"parts": [...]} message (Mastra's v2
    format, the kit's default); None when it has no text to show (tool calls only, say)."""
    if isinstance(content, str):
        return content
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return None
    texts = [
        p["text"] for p in parts if isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str)
    ]
    return "\n\n".join(texts) if texts else None


def message_tools(content: Any) -> list[tuple[str, str]]:
    """The tool calls and results a {"parts": [...]} message holds, as ("call" | "result", tool name) pairs."""
    parts = content.get("parts") if isinstance(content, dict) else None
    if not isinstance(parts, list):
        return []
    kinds = {"tool-invocation": "call", "tool-call": "call", "tool-result": "result"}
    return [
        (kinds[p["type"]], str(p.get("toolName") or p.get("tool_name") or "?"))
        for p in parts
        if isinstance(p, dict) and p.get("type") in kinds
    ]


def when(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "Z"


def size(n: int | None) -> str:
    if n is None:
        return "-"
    step = 1024.0
    v = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(v) < step or unit == "TB":
            return f"{v:.0f} {unit}" if unit == "B" else f"{v:.1f} {unit}"
        v /= step
    return f"{n} B"


def millis(ms: float | None) -> str:
    if ms is None or not math.isfinite(ms):
        return ""
    if ms < 1:
        return f"{ms:.2f} ms"
    if ms < 1000:
        return f"{ms:.1f} ms"
    return f"{ms / 1000:.2f} s"


def number(n: float | int | None) -> str:
    if n is None:
        return ""
    if isinstance(n, int):
        return f"{n:,}"
    return f"{n:,.4g}" if abs(n) < 1e6 else f"{n:,.0f}"


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rawstore.studio", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        pretty=pretty,
        preview=preview,
        when=when,
        size=size,
        millis=millis,
        number=number,
        message_text=message_text,
        message_tools=message_tools,
    )
    # Markup is for the few SVG fragments the pages build from numbers only; text always goes through escaping.
    env.globals["Markup"] = Markup
    return env
