"""The studio's own read queries (sql/<dialect>/studio.sql): tenants and resources, which no domain call lists."""

from __future__ import annotations

from datetime import datetime

import msgspec

from ..queryset import Many, One, QuerySet


class ResourceRow(msgspec.Struct, gc=False):
    """A resource that has threads: how many, and when the newest of them changed."""

    resource_id: str
    threads: int
    last_updated: datetime


class StudioQueries(QuerySet, domain="studio"):
    """The queries of sql/<dialect>/studio.sql and what their rows decode to."""

    tenants = Many(str)
    resources = Many(ResourceRow, decode={"threads": int})
    server_version = One(str)
