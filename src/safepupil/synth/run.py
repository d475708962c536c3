"""Generate a synthetic national census: one AP return per LA, the school census,
and (when asked) the manifest of injected errors."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from safepupil.collection.model import ReturnHeader
from safepupil.domain.census_calendar import census_day
from safepupil.synth.ap_census import ApCensus, generate_ap_census
from safepupil.synth.csv_writer import render_csv
from safepupil.synth.faults import apply_errors, truncate_xml
from safepupil.synth.files import atomic_path, prepare_folder, write_atomically
from safepupil.synth.frame import LaFrame, la_frame
from safepupil.synth.inject import MANIFEST_COLUMNS, InjectedError, InjectionPlan, plan_injection
from safepupil.synth.school_census import write_school_census
from safepupil.synth.spec import OutputFormat, SynthResult, SynthSpec
from safepupil.synth.streams import random_stream
from safepupil.synth.xml_writer import render_xml

# (stage, done, total): called after each file or LA, for a progress bar.
ProgressCallback = Callable[[str, int, int], None]
AP_STAGE = "AP census returns"
SCHOOL_STAGE = "School census"
COLLECTION = "AP"
SOFTWARE_CODE = "SAFEPUPIL-SYNTH"
SERIAL_NO = "001"
# The header's DateTime: a fixed time a week after census day, never the wall clock,
# so the same arguments always give the same bytes.
RETURN_MADE_DAYS_AFTER_CENSUS = 7
RETURN_MADE_AT = dt.time(11, 14, 5)
MANIFEST_NAME = "injected_errors.csv"

_RENDERERS = {OutputFormat.XML: render_xml, OutputFormat.CSV: render_csv}


def return_file_name(year: int, la_code: str, file_format: OutputFormat) -> str:
    return f"ap_census_{year}_{la_code}.{file_format.value}"


def school_census_name(year: int) -> str:
    return f"school_census_{year}.parquet"


def return_header(year: int, la_code: str) -> ReturnHeader:
    day = census_day(year)
    made = dt.datetime.combine(
        day + dt.timedelta(days=RETURN_MADE_DAYS_AFTER_CENSUS), RETURN_MADE_AT
    )
    return ReturnHeader(
        collection=COLLECTION,
        year=year,
        reference_date=day,
        la=la_code,
        software=SOFTWARE_CODE,
        serial_no=SERIAL_NO,
        created=made.isoformat(),
    )


def generate_census(
    spec: SynthSpec, out_dir: Path, progress: ProgressCallback | None = None
) -> SynthResult:
    """Write every file for ``spec`` into ``out_dir`` (created if needed; files replaced)."""
    prepare_folder(out_dir)
    frame = la_frame(spec.year, spec.pupils, spec.school_pupils, spec.seed)
    ap = generate_ap_census(frame, spec.year, spec.seed)
    plan = plan_injection(
        frame.ap_counts,
        spec.inject_errors,
        random_stream(spec.seed, "inject-plan"),
        year=spec.year,
        truncate=spec.file_format is OutputFormat.XML,
    )
    ap_files, errors = _write_returns(ap, plan, spec, out_dir, progress)
    school_path = out_dir / school_census_name(spec.year)
    with atomic_path(school_path) as temporary:
        school = write_school_census(temporary, ap, spec.seed, _stage(progress, SCHOOL_STAGE))
    manifest = _write_manifest(out_dir, errors) if spec.inject_errors > 0 else None
    if manifest is None:
        # A manifest left by an earlier run would describe files that no longer exist.
        (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
    return _result(spec, out_dir, ap, ap_files, school_path, manifest, len(errors), school.linked)


def _stage(progress: ProgressCallback | None, stage: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(stage, done, total)


def _write_returns(
    ap: ApCensus,
    plan: InjectionPlan,
    spec: SynthSpec,
    out_dir: Path,
    progress: ProgressCallback | None,
) -> tuple[tuple[Path, ...], list[InjectedError]]:
    render = _RENDERERS[spec.file_format]
    paths, errors = [], []
    for position, la in enumerate(ap.frame.las):
        name = return_file_name(spec.year, la.code, spec.file_format)
        records = ap.la_records(position).to_pylist()
        errors += apply_errors(
            records,
            plan.by_file.get(position, ()),
            file=name,
            year=spec.year,
            rng=random_stream(spec.seed, "inject", position),
        )
        data = render(return_header(spec.year, la.code), records)
        if position == plan.truncated_file:
            data, cut = truncate_xml(data, file=name)
            errors.append(cut)
        write_atomically(out_dir / name, data)
        paths.append(out_dir / name)
        if progress:
            progress(AP_STAGE, position + 1, len(ap.frame.las))
    return tuple(paths), errors


def _write_manifest(out_dir: Path, errors: Sequence[InjectedError]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MANIFEST_COLUMNS)
    for error in sorted(errors, key=lambda e: (e.file, e.record or 0)):
        writer.writerow(error.manifest_row())
    path = out_dir / MANIFEST_NAME
    write_atomically(path, buffer.getvalue().encode("utf-8"))
    return path


def _by_region(frame: LaFrame, counts: np.ndarray) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for la, count in zip(frame.las, counts, strict=True):
        totals[la.region] += int(count)
    return dict(sorted(totals.items()))


def _result(
    spec: SynthSpec,
    out_dir: Path,
    ap: ApCensus,
    ap_files: tuple[Path, ...],
    school_path: Path,
    manifest: Path | None,
    injected: int,
    linked: int,
) -> SynthResult:
    frame = ap.frame
    reasons = Counter(ap.records.column("placement_reason").to_pylist())
    return SynthResult(
        spec=spec,
        out_dir=out_dir,
        ap_files=ap_files,
        school_census=school_path,
        manifest=manifest,
        ap_pupils_by_la={la.code: int(n) for la, n in zip(frame.las, frame.ap_counts, strict=True)},
        ap_pupils_by_region=_by_region(frame, frame.ap_counts),
        school_pupils_by_region=_by_region(frame, frame.school_counts),
        placement_reasons={str(code): n for code, n in reasons.most_common()},
        linked_pupils=linked,
        injected_errors=injected,
    )
