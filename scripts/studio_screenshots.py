"""Seed a SQLite file with a small, realistic support-agent conversation and take the README's screenshots of the
studio's thread page (docs/img/studio-threads.png) and of a trace's waterfall (docs/img/studio-waterfall.png, from
tests/studio_trace_data.py) in Debian's headless Chromium.

    .venv/bin/python scripts/studio_screenshots.py [OUT_DIR]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import rawstore
from rawstore import Message, Resource, Thread

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.studio_support import browser, running_studio  # noqa: E402
from tests.studio_trace_data import main as waterfall_shot  # noqa: E402

T0 = datetime(2026, 12, 3, 14, 2, tzinfo=UTC)
CONVERSATION = [
    ("user", "My order #4471 arrived with a cracked screen. Can I get a replacement before Friday?"),
    (
        "assistant",
        {
            "parts": [
                {"type": "tool-invocation", "toolName": "lookup_order", "args": {"order_id": "4471"}},
                {"type": "text", "text": "Let me look up order #4471 for you."},
            ]
        },
    ),
    (
        "tool",
        {
            "parts": [
                {
                    "type": "tool-result",
                    "toolName": "lookup_order",
                    "result": {"status": "delivered", "sku": "TAB-11-128", "warranty": True, "delivered": "2026-12-02"},
                }
            ]
        },
    ),
    (
        "assistant",
        {
            "parts": [
                {
                    "type": "text",
                    "text": "I'm sorry about the screen. Your tablet (TAB-11-128) is under warranty, so a replacement "
                    "is free. Express shipping gets it to you by Thursday. Shall I send it to the same address?",
                }
            ]
        },
    ),
    ("user", "Yes please, same address."),
    (
        "assistant",
        {
            "parts": [
                {"type": "tool-invocation", "toolName": "create_replacement", "args": {"order_id": "4471"}},
                {
                    "type": "text",
                    "text": "Done: replacement RMA-20931 ships today by express. A prepaid label for the cracked "
                    "unit is in your inbox.",
                },
            ]
        },
    ),
]


async def seed(url: str) -> None:
    async with rawstore.connect(url, migrate=True) as store:
        with rawstore.tenant("acme"):
            await store.memory.save_resource(
                Resource(
                    id="customer-8812",
                    working_memory="# Customer\n- Name: Dana Whitfield\n- Plan: Premium\n- Prefers email follow-ups",
                    metadata={"segment": "premium"},
                )
            )
            for i, title in enumerate(["Cracked screen on order #4471", "Billing address change", "Warranty terms"]):
                at = T0 - timedelta(days=3 * i)
                await store.memory.save_thread(
                    Thread(
                        id=f"thr-{4471 - i}",
                        resource_id="customer-8812",
                        title=title,
                        metadata={"channel": "chat", "agent": "support-v3"},
                        created_at=at,
                        updated_at=at,
                    )
                )
            await store.memory.save_messages(
                [
                    Message(
                        id=f"msg-{i:03d}",
                        thread_id="thr-4471",
                        role=role,
                        content=content,
                        resource_id="customer-8812",
                        created_at=T0 + timedelta(seconds=20 * i),
                    )
                    for i, (role, content) in enumerate(CONVERSATION)
                ]
            )


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/demo.db"
        asyncio.run(seed(url))
        with running_studio(url) as base, browser() as b:
            page = b.new_page(viewport={"width": 1280, "height": 860})
            page.goto(base + "/thread/thr-4471?tenant=acme")
            page.screenshot(path=str(out / "studio-threads.png"))
            page.close()
    print(f"wrote {out / 'studio-threads.png'}")
    sys.argv[1:] = [str(out)]
    waterfall_shot()


if __name__ == "__main__":
    main()
