"""The "what leaves" manifest agrees with the pseudonymiser, item by item."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.collection.manifest import ReturnCounts, build_manifest, count_return
from safepupil.collection.model import HEADER_COLUMNS, RECORD_COLUMNS
from safepupil.collection.policy import default_policy, policy_from_bytes
from safepupil.collection.pseudonymise import (
    DOES_NOT_LEAVE,
    TREATMENTS,
    Treatment,
    pseudonymise,
    pseudonymised_schema,
)
from tests.collection.conftest import WriteReturn, parsed_return, pupil, xml_return

POLICY = default_policy()
NEVER_LEAVE = ("record_no", "uln", "surname", "forename", "middle_names")
NEVER_LEAVE += ("preferred_surname", "address", "uprn")

ETHNICITY_POLICY = policy_from_bytes(
    b"""format = 1
[[withheld]]
item = "ethnicity"
codes = ["WIRT", "WROM"]
[aggregates]
by = ["sex", "age_band"]
threshold = 10
protection_width = 10
[[aggregates.age_bands]]
label = "all"
min = 0
""",
    source="test",
)


def test_every_output_column_is_in_the_manifest_and_no_other() -> None:
    for policy in (POLICY, ETHNICITY_POLICY):
        manifest = build_manifest(policy)
        assert manifest.columns == frozenset(pseudonymised_schema(policy).names)


def test_the_pseudonymised_table_matches_the_manifest() -> None:
    table = pseudonymise(parsed_return([pupil(1)]), bytes(32), POLICY)
    assert frozenset(table.column_names) == build_manifest(POLICY).columns


def test_every_item_of_a_return_is_listed_once() -> None:
    items = [entry.item for entry in build_manifest(POLICY).items]
    assert sorted(items) == sorted(["record_no", *RECORD_COLUMNS, *HEADER_COLUMNS])


def test_dropped_items_are_listed_as_not_leaving() -> None:
    manifest = build_manifest(POLICY)
    dropped = {t.item for t in TREATMENTS if t.treatment is Treatment.DROP}
    assert dropped == set(NEVER_LEAVE)
    for name in dropped:
        entry = manifest.item(name)
        assert not entry.leaves and entry.columns == ()
        assert entry.leaves_as.startswith(DOES_NOT_LEAVE)


def test_transformed_items_say_how() -> None:
    manifest = build_manifest(POLICY)
    assert manifest.item("upn").columns == ("pupil_token",)
    assert "key custodian" in manifest.item("upn").leaves_as
    assert "year and month" in manifest.item("dob").leaves_as
    assert manifest.item("postcode").columns == ("postcode_outward",)
    assert manifest.item("collection").leaves and manifest.item("collection").columns == ()


def test_statistics_only_item_names_its_codes_and_flag() -> None:
    entry = build_manifest(POLICY).item("placement_reason")
    assert entry.columns == ("placement_reason", "placement_reason_withheld")
    assert set(entry.aggregated_codes) == {"PRG", "MHN", "YOF", "PHY"}
    for code in ("PRG", "MHN", "YOF", "PHY"):
        assert code in entry.leaves_as
    assert "only as protected counts" in entry.leaves_as


def test_manifest_follows_the_policy() -> None:
    manifest = build_manifest(ETHNICITY_POLICY)
    assert manifest.item("ethnicity").aggregated_codes == ("WIRT", "WROM")
    assert manifest.item("placement_reason").aggregated_codes == ()


def test_counts_for_a_return() -> None:
    pupils = [pupil(n, placement_reason=r) for n, r in enumerate(["PRG", "PEX", "MHN", None], 1)]
    counts = count_return(parsed_return(pupils), POLICY)
    assert counts == ReturnCounts(pupils=4, withheld=(("placement_reason", 2),))


def test_json_form_is_complete() -> None:
    counts = ReturnCounts(pupils=7, withheld=(("placement_reason", 3),))
    body = build_manifest(POLICY, counts).to_dict()
    assert body["counts"] == {"pupils": 7, "withheld": {"placement_reason": 3}}
    assert {"item", "leaves", "leaves_as", "columns", "aggregated_codes"} <= set(body["items"][0])
    policy = body["statistics_only_policy"]
    assert policy["threshold"] == 10 and policy["sha256"] == POLICY.sha256
    json.dumps(body)


def test_cli_manifest_json_and_table(write_return: WriteReturn) -> None:
    pupils = [pupil(n, placement_reason=r) for n, r in enumerate(["PRG", "PEX", "YOF"], 1)]
    path: Path = write_return(xml_return(pupils))
    runner = CliRunner()
    as_json = runner.invoke(app, ["la", "manifest", str(path), "--json"])
    assert as_json.exit_code == 0, as_json.output
    body = json.loads(as_json.output)
    assert body["counts"] == {"pupils": 3, "withheld": {"placement_reason": 2}}
    as_table = runner.invoke(app, ["la", "manifest", str(path)])
    assert as_table.exit_code == 0, as_table.output
    assert "does not leave" in as_table.output
    assert "Pupils in this return: 3" in as_table.output
    for record in pupils:
        assert str(record["surname"]) not in as_table.output + as_json.output
