"""The run and stage patches (`RunPatch`, `StagePatch`) are the one definition of the fields that creates, upserts
and updates take: each public method's keywords must be exactly a patch's fields, in its order, with its types, so
that a field added to one and not the other fails here rather than being silently dropped."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import pytest

from rawstore.workflows import WorkflowStore
from rawstore.workflows.patch import UNSET, Patch, RunPatch, StagePatch

# Keywords of a method that are not patch fields: the row it works on, and the version fence.
_NOT_FIELDS = {"run_id", "stage_id", "id", "workflow_run_id", "expected_version"}

UPDATES: list[tuple[Callable[..., Any], type[Patch]]] = [
    (WorkflowStore.update_run, RunPatch),
    (WorkflowStore.update_stage, StagePatch),
    (WorkflowStore.update_stage_by_run_and_stage_id, StagePatch),
]
CREATES: list[tuple[Callable[..., Any], type[Patch]]] = [
    (WorkflowStore.create_stage, StagePatch),
    (WorkflowStore.upsert_stage, StagePatch),
]


def _fields(fn: Callable[..., Any]) -> dict[str, inspect.Parameter]:
    params = inspect.signature(fn, eval_str=True).parameters
    return {n: p for n, p in params.items() if n != "self" and n not in _NOT_FIELDS}


@pytest.mark.parametrize(("fn", "patch"), UPDATES + CREATES, ids=lambda x: getattr(x, "__name__", ""))
def test_keywords_are_the_patch_fields_in_order(fn: Callable[..., Any], patch: type[Patch]) -> None:
    assert list(_fields(fn)) == list(patch.__struct_fields__)


@pytest.mark.parametrize(("fn", "patch"), UPDATES, ids=lambda x: getattr(x, "__name__", ""))
def test_update_keywords_have_the_patch_types_and_default_to_unset(fn: Callable[..., Any], patch: type[Patch]) -> None:
    hints = typing.get_type_hints(patch)
    for name, p in _fields(fn).items():
        assert p.kind is inspect.Parameter.KEYWORD_ONLY, name
        assert p.default is UNSET, name
        assert p.annotation == hints[name], name


def test_a_patch_leaves_every_field_unset_by_default() -> None:
    for patch in (RunPatch, StagePatch):
        p = patch()
        assert all(getattr(p, f) is UNSET for f in patch.__struct_fields__)
