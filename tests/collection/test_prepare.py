"""``la prepare``: the whole LA-side flow, what it refuses, and what leaves the LA."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import string
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from safepupil.cli.main import app
from safepupil.collection.keys.create import init_keys
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import (
    LaToolKeys,
    load_la_tool_keys,
    load_la_verify_keys,
    load_national_box_key,
)
from safepupil.collection.policy import default_policy
from safepupil.collection.prepare import Receipt, prepare_submission
from safepupil.collection.pseudonymise import pseudonymised_schema
from safepupil.collection.read import read_return
from safepupil.collection.seal import MEMBER_ORDER, OpenedSubmission, open_submission
from safepupil.errors import ConfigError, UserError, ValidationFailed
from safepupil.synth import OutputFormat, SynthSpec, generate_census
from tests.collection.conftest import Pupil, WriteReturn, csv_return, pupil, xml_return

POLICY = default_policy()
CREATED = dt.datetime(2018, 1, 26, 9, 30, tzinfo=dt.UTC)


def varied_pupils(count: int, seed: int = 11) -> list[Pupil]:
    rng = random.Random(seed)
    reasons = ["PRG", "MHN", "YOF", "PHY", "PEX", "SUS", "OTH"]
    pupils = []
    for number in range(1, count + 1):
        born = dt.date(2001, 2, 1) + dt.timedelta(days=rng.randrange(365 * 10))
        pupils.append(
            pupil(
                number,
                sex=rng.choice("MMF"),
                dob=born.isoformat(),
                uln=None,  # no ULN-age queries
                surname=f"Zz{rng.randrange(10**6):06d}Surname",
                postcode=f"LS{rng.randrange(1, 30)} {rng.randrange(10)}AB",
                placement_reason=rng.choice(reasons),
            )
        )
    return pupils


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> KeyLayout:
    layout = KeyLayout(tmp_path_factory.mktemp("home"))
    init_keys(layout, ("201", "202"))
    return layout


@pytest.fixture
def return_path(write_return: WriteReturn) -> Path:
    return write_return(xml_return(varied_pupils(120)))


def prepare(return_path: Path, out: Path, layout: KeyLayout, **options: Any) -> Receipt:
    keys = partial(load_la_tool_keys, layout)
    return prepare_submission(return_path, out, keys, POLICY, created=CREATED, **options)


def open_it(path: Path, layout: KeyLayout) -> OpenedSubmission:
    return open_submission(path, load_national_box_key(layout), load_la_verify_keys(layout))


def test_prepare_then_open_round_trip(return_path: Path, layout: KeyLayout, tmp_path: Path) -> None:
    out = tmp_path / "201.sealed"
    receipt = prepare(return_path, out, layout)
    assert receipt.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert (receipt.la, receipt.year, receipt.records_sent) == ("201", 2018, 120)
    opened = open_it(out, layout)
    assert opened.la == "201" and opened.header["created"] == "2018-01-26T09:30:00+00:00"
    records = opened.records()
    assert records.num_rows == 120
    assert records.schema.equals(pseudonymised_schema(POLICY), check_metadata=False)
    withheld = sum(records.column("placement_reason_withheld").to_pylist())
    assert receipt.withheld == (("placement_reason", withheld),) and withheld > 0
    assert opened.manifest["counts"]["withheld"]["placement_reason"] == withheld
    assert opened.validation_summary["errors"] == 0
    assert opened.aggregates["items"][0]["audit"]["protected"] is True
    suppressed = sum(
        1 for row in opened.aggregates["items"][0]["cells"] if row["status"] != "released"
    )
    assert (
        receipt.aggregate_cells_suppressed > 0 and suppressed >= receipt.aggregate_cells_suppressed
    )
    assert [name for name, _ in receipt.members] == sorted(MEMBER_ORDER[1:])
    assert dict(receipt.members) == {e["name"]: e["sha256"] for e in opened.header["members"]}


def test_csv_and_xml_returns_send_the_same_records(
    write_return: WriteReturn, layout: KeyLayout, tmp_path: Path
) -> None:
    pupils = varied_pupils(40)
    xml = write_return(xml_return(pupils))
    csv = write_return(csv_return(pupils), "ap_census_2018_201.csv")
    prepare(xml, tmp_path / "x.sealed", layout)
    prepare(csv, tmp_path / "c.sealed", layout)
    assert (
        open_it(tmp_path / "x.sealed", layout)
        .records()
        .equals(open_it(tmp_path / "c.sealed", layout).records())
    )


def test_the_return_is_never_modified(return_path: Path, layout: KeyLayout, tmp_path: Path) -> None:
    before = hashlib.sha256(return_path.read_bytes()).hexdigest()
    stat_before = return_path.stat()
    receipt = prepare(return_path, tmp_path / "201.sealed", layout)
    assert hashlib.sha256(return_path.read_bytes()).hexdigest() == before == receipt.return_sha256
    assert return_path.stat().st_mtime_ns == stat_before.st_mtime_ns


def test_a_return_with_errors_is_refused_and_nothing_is_written(
    write_return: WriteReturn, layout: KeyLayout, tmp_path: Path
) -> None:
    pupils = varied_pupils(10)
    upn = str(pupils[3]["upn"])
    pupils[3]["upn"] = ("B" if upn[0] != "B" else "C") + upn[1:]  # wrong check letter
    path = write_return(xml_return(pupils))
    out_folder = tmp_path / "out"
    out_folder.mkdir()
    with pytest.raises(ValidationFailed, match="nothing was written") as refused:
        prepare(path, out_folder / "201.sealed", layout)
    assert list(out_folder.iterdir()) == []
    assert "la validate" in refused.value.hint
    assert pupils[3]["upn"] not in str(refused.value)


def test_refuses_to_replace_the_return_or_an_existing_file(
    return_path: Path, layout: KeyLayout, tmp_path: Path
) -> None:
    before = return_path.read_bytes()
    with pytest.raises(UserError, match="replace the return"):
        prepare(return_path, return_path, layout, overwrite=True)
    assert return_path.read_bytes() == before
    out = tmp_path / "201.sealed"
    out.write_bytes(b"an earlier submission")
    with pytest.raises(UserError, match="already exists"):
        prepare(return_path, out, layout)
    prepare(return_path, out, layout, overwrite=True)
    assert open_it(out, layout).la == "201"


def test_another_las_keys_are_refused(return_path: Path, layout: KeyLayout, tmp_path: Path) -> None:
    def wrong_keys(la: str) -> LaToolKeys:
        return load_la_tool_keys(layout, "202")

    with pytest.raises(ConfigError, match="LA 202's but the return is LA 201's"):
        prepare_submission(return_path, tmp_path / "x.sealed", wrong_keys, POLICY)
    assert not (tmp_path / "x.sealed").exists()


def test_a_failure_mid_write_leaves_no_partial_file(
    return_path: Path, layout: KeyLayout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import safepupil.collection.keys.atomic_file as atomic_file

    out_folder = tmp_path / "out"
    out_folder.mkdir()
    real_fdopen = atomic_file.os.fdopen

    class Interrupted(Exception):
        pass

    def half_then_fail(descriptor: int, mode: str) -> Any:
        stream = real_fdopen(descriptor, mode)
        real_write = stream.write

        def write(data: bytes) -> int:
            real_write(data[: len(data) // 2])
            raise Interrupted("power cut")

        stream.write = write
        return stream

    monkeypatch.setattr(atomic_file.os, "fdopen", half_then_fail)
    with pytest.raises(Interrupted):
        prepare(return_path, out_folder / "201.sealed", layout)
    assert list(out_folder.iterdir()) == []


def test_cli_prepare_prints_a_receipt(return_path: Path, layout: KeyLayout, tmp_path: Path) -> None:
    out = tmp_path / "201.sealed"
    args = ["la", "prepare", str(return_path), "--out", str(out), "--home", str(layout.home)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.output
    assert "records sent" in result.output and "120" in result.output
    assert "aggregate cells suppressed" in result.output
    refused = CliRunner().invoke(app, args)
    assert isinstance(refused.exception, UserError)


def test_cli_prepare_refuses_a_return_with_errors(
    write_return: WriteReturn, layout: KeyLayout, tmp_path: Path
) -> None:
    path = write_return(xml_return([pupil(1, dob=None)]))
    out = tmp_path / "x.sealed"
    result = CliRunner().invoke(
        app, ["la", "prepare", str(path), "--out", str(out), "--home", str(layout.home)]
    )
    assert isinstance(result.exception, ValidationFailed)
    assert not out.exists()


# A fixed prefix keeps names apart from the submission's own words ("order", "token").
names = st.text(string.ascii_letters, min_size=3, max_size=12).map(lambda s: f"Qx{s}")


@given(
    surnames=st.lists(names, min_size=3, max_size=12),
    forename=names,
    street=names,
    postcode=st.sampled_from(["LS12 4AB", "SW1A 1AA", "M1 1AE", "B33 8TH", "DN55 1PT"]),
)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_input_value_appears_in_the_sealed_plaintext(
    layout: KeyLayout, surnames: list[str], forename: str, street: str, postcode: str
) -> None:
    pupils = [
        pupil(
            n,
            surname=surname,
            forename=f"{forename}{n}",
            address=f"{n} {street} Road, {street}ton",
            postcode=postcode,
            uprn=f"2000{n:08d}",
            placement_reason="PRG" if n % 2 else "PEX",
        )
        for n, surname in enumerate(surnames, start=1)
    ]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ap_census_2018_201.xml"
        path.write_text(xml_return(pupils), "utf-8")
        prepare(path, Path(folder) / "201.sealed", layout)
        opened = open_it(Path(folder) / "201.sealed", layout)
    plaintext = b"".join(opened.members.values())
    # Text cells only: a surname "False" is no leak of a boolean flag.
    cells = [
        v for column in opened.records().columns for v in column.to_pylist() if isinstance(v, str)
    ]
    for record in pupils:
        for item in ("upn", "uln", "surname", "forename", "middle_names", "address", "uprn"):
            value = str(record[item] or "")
            if value:
                assert value.encode() not in plaintext, item
                assert not any(value in cell for cell in cells), item
        assert postcode.encode() not in plaintext
        assert str(record["dob"]).encode() not in plaintext
    assert b"PRG" not in opened.members["records.parquet"], "a withheld code left in a record"


# --- end to end on synthetic returns ---------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("synth")
    generate_census(SynthSpec(year=2018, pupils=4000, school_pupils=0), folder / "xml")
    spec = SynthSpec(year=2018, pupils=4000, school_pupils=0, file_format=OutputFormat.CSV)
    generate_census(spec, folder / "csv")
    return folder


def identifying_strings(path: Path) -> set[str]:
    """Every surname, forename, UPN, postcode, address and address line in a return."""
    records = read_return(path).records
    found: set[str] = set()
    for item in ("upn", "uln", "surname", "forename", "middle_names", "preferred_surname"):
        found |= {v for v in records.column(item).to_pylist() if v}
    for item in ("postcode", "address", "uprn"):
        found |= {v for v in records.column(item).to_pylist() if v}
    for address in records.column("address").to_pylist():
        found |= {line for line in (address or "").split(", ") if line}
    # A house number alone ("12") is not identifying and would match anywhere.
    return {s for s in found if not re.fullmatch(r"(Flat )?\d+[A-Z]?", s)}


@pytest.mark.slow
@pytest.mark.parametrize("form", ["xml", "csv"])
def test_end_to_end_nothing_identifying_leaves(
    synthetic_returns: Path, form: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    runner = CliRunner()
    candidates = sorted(
        (synthetic_returns / form).glob(f"ap_census_2018_*.{form}"), key=lambda p: -p.stat().st_size
    )
    return_path = candidates[0]
    la = return_path.stem.rsplit("_", 1)[1]
    created = runner.invoke(app, ["keys", "init", "--home", str(home), "--la", la])
    assert created.exit_code == 0, created.output
    out = tmp_path / f"{la}.sealed"
    before = hashlib.sha256(return_path.read_bytes()).hexdigest()
    prepared = runner.invoke(
        app, ["la", "prepare", str(return_path), "--out", str(out), "--home", str(home)]
    )
    assert prepared.exit_code == 0, prepared.output
    assert hashlib.sha256(return_path.read_bytes()).hexdigest() == before

    layout = KeyLayout(home)
    opened = open_it(out, layout)
    plaintext = b"".join(opened.members.values()) + repr(dict(opened.header)).encode()
    records = opened.records()
    cells = " ".join(
        v for column in records.columns for v in column.to_pylist() if isinstance(v, str)
    )
    secrets = identifying_strings(return_path)
    assert len(secrets) > 100, "the return has names, UPNs and addresses to look for"
    leaked = sorted(s for s in secrets if s.encode() in plaintext or s in cells)
    assert leaked == [], f"{len(leaked)} identifying strings found in the submission"
    on_screen = prepared.output + created.output
    assert not [s for s in secrets if len(s) > 4 and s in on_screen]
    assert records.num_rows == read_return(return_path).pupil_count
