"""Typed patch definitions of workflow runs and stages: one description of each field (its public type and how
it is checked and stored) shared by creates, upserts and updates."""

from __future__ import annotations

import enum
import typing
from datetime import datetime
from typing import Annotated, Any, Final, NamedTuple

import msgspec

from ..enums import Status


class Unset(enum.Enum):
    """The default of update keywords: "leave this field alone" (None, by contrast, clears a nullable field)."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET


# Kinds of field: how a given value is checked and turned into a query parameter.
K_ID, K_NAME, K_STAT, K_TS, K_I32, K_U32, K_U64, K_COST, K_JSON_ANY, K_JSON_OPT, K_META, K_TEXT = range(12)


class Check(NamedTuple):
    """A patch field's kind; `nullable` fields take None (SQL NULL). A JSON field that is not nullable stores None
    as the JSON value null when it is K_JSON_ANY, and refuses it otherwise."""

    kind: int
    nullable: bool = False


class Patch(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """Fields given to a create, upsert or update; UNSET (the default) leaves a field alone, and None clears a
    nullable one. Each field's type is what the public keyword takes, its `Check` how it is stored."""


class RunPatch(Patch, frozen=True):
    workflow_id: Annotated[str | Unset, Check(K_ID)] = UNSET
    workflow_name: Annotated[str | Unset, Check(K_NAME)] = UNSET
    workflow_type: Annotated[str | Unset, Check(K_NAME)] = UNSET
    status: Annotated[Status | str | Unset, Check(K_STAT)] = UNSET
    started_at: Annotated[datetime | Unset | None, Check(K_TS, nullable=True)] = UNSET
    completed_at: Annotated[datetime | Unset | None, Check(K_TS, nullable=True)] = UNSET
    duration: Annotated[int | Unset | None, Check(K_U64, nullable=True)] = UNSET
    input: Annotated[Any, Check(K_JSON_ANY)] = UNSET
    output: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    config: Annotated[Any, Check(K_JSON_OPT)] = UNSET
    total_cost: Annotated[float | Unset, Check(K_COST)] = UNSET
    total_tokens: Annotated[int | Unset, Check(K_U64)] = UNSET
    priority: Annotated[int | Unset, Check(K_I32)] = UNSET
    metadata: Annotated[dict[str, Any] | Unset | None, Check(K_META, nullable=True)] = UNSET


class StagePatch(Patch, frozen=True):
    stage_name: Annotated[str | Unset, Check(K_NAME)] = UNSET
    stage_number: Annotated[int | Unset, Check(K_I32)] = UNSET
    execution_group: Annotated[int | Unset, Check(K_I32)] = UNSET
    status: Annotated[Status | str | Unset, Check(K_STAT)] = UNSET
    attempt: Annotated[int | Unset, Check(K_U32)] = UNSET
    started_at: Annotated[datetime | Unset | None, Check(K_TS, nullable=True)] = UNSET
    completed_at: Annotated[datetime | Unset | None, Check(K_TS, nullable=True)] = UNSET
    duration: Annotated[int | Unset | None, Check(K_U64, nullable=True)] = UNSET
    input_data: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    output_data: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    config: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    suspended_state: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    resume_data: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    next_poll_at: Annotated[datetime | Unset | None, Check(K_TS, nullable=True)] = UNSET
    poll_interval: Annotated[int | Unset | None, Check(K_U64, nullable=True)] = UNSET
    max_wait_until: Annotated[datetime | Unset | None, Check(K_TS, nullable=True)] = UNSET
    metrics: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    embedding_info: Annotated[Any, Check(K_JSON_OPT, nullable=True)] = UNSET
    error_message: Annotated[str | Unset | None, Check(K_TEXT, nullable=True)] = UNSET


def field_checks(patch: type[Patch]) -> tuple[tuple[str, int, bool], ...]:
    """(field, kind, nullable) of a patch in field order, which is also the order bad values are reported in.

    Plain tuples, unpacked in the loop of `_patch_values`: NamedTuple attribute reads would cost a stage update
    about a microsecond.
    """
    hints = typing.get_type_hints(patch, include_extras=True)
    out = []
    for name in patch.__struct_fields__:
        check = next(m for m in hints[name].__metadata__ if isinstance(m, Check))
        out.append((name, check.kind, check.nullable))
    return tuple(out)


RUN_CHECKS: Final = field_checks(RunPatch)
STAGE_CHECKS: Final = field_checks(StagePatch)
# What a new stage gets for a field an upsert leaves out (None for the rest).
STAGE_DEFAULTS: Final[dict[str, Any]] = {"status": Status.PENDING, "attempt": 0}
