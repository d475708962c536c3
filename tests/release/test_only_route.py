"""Security property 2: every output passes the disclosure pipeline; no other route out.

A ProtectedTable can only be made by the pipeline (a seal held by ``release.result`` and
passed only by ``release.shaping``), it holds only text fit to show, and the package's
public surface returns nothing but ProtectedTables."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
from pathlib import Path

import pytest

import safepupil.release as release
from safepupil.errors import InternalError
from safepupil.release.pipeline import run_protected_query
from safepupil.release.result import ProtectedTable, ReleaseStatus

SOURCE = Path(release.__file__).parent.parent
SEAL_USE = re.compile(r"(?<![A-Za-z0-9])(_sealed|result import _SEAL)\b")
RAW_TYPES = {"QueryResult", "Cell", "MeasureValue", "FrozenBitMap", "BitMap"}


def test_a_protected_table_cannot_be_made_outside_the_pipeline() -> None:
    with pytest.raises(InternalError):
        ProtectedTable("r", "d", ReleaseStatus.RELEASED, ("la",), (("201",),), (), {}, 0)


def test_only_the_shaping_step_holds_the_seal() -> None:
    users = {
        path.relative_to(SOURCE).as_posix()
        for path in SOURCE.rglob("*.py")
        if SEAL_USE.search(path.read_text("utf-8"))
    }
    assert users == {"release/result.py", "release/shaping.py"}


def test_a_sealed_table_cannot_be_copied_into_an_unsealed_one() -> None:
    from safepupil.release.result import _sealed

    table = _sealed(
        release_id="r", dataset="d", status=ReleaseStatus.RELEASED, columns=("la",),
        rows=(("201",),), report=(), audit={}, pupils=0, reasons=(),
    )  # fmt: skip
    with pytest.raises(InternalError):
        dataclasses.replace(table, seal=None)


def test_the_public_surface_returns_protected_tables_only() -> None:
    assert set(release.__all__) == {
        "CellReport", "ProtectedTable", "ReleaseStatus", "run_protected_query"
    }  # fmt: skip
    assert inspect.signature(run_protected_query).return_annotation in (
        "ProtectedTable",
        ProtectedTable,
    )


def test_no_public_function_in_release_returns_raw_cells() -> None:
    for path in (SOURCE / "release").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.returns is not None:
                returned = {n.id for n in ast.walk(node.returns) if isinstance(n, ast.Name)}
                if returned & RAW_TYPES and not node.name.startswith("_"):
                    # only the record of what was shown carries bitmaps, to the control plane
                    assert (path.name, node.name) == ("shaping.py", "released_table")


def test_only_release_modules_import_the_pipeline_internals() -> None:
    internals = ("release.layout", "release.rules", "release.protect", "release.shaping")
    for path in SOURCE.rglob("*.py"):
        if path.parent.name == "release":
            continue
        text = path.read_text("utf-8")
        assert not any(name in text for name in internals), path
