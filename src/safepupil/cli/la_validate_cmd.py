"""``safepupil la validate``: read census returns and report what is wrong in them."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from safepupil.cli.console import err, out
from safepupil.collection.model import Finding, Severity, ValidationReport
from safepupil.collection.read import RETURN_SUFFIXES, read_return
from safepupil.collection.rules import RULES
from safepupil.collection.validate import ValidationSettings, validate_return
from safepupil.errors import InputFileError, Location

DEFAULTS = ValidationSettings()
EXIT_ERRORS = 1  # validation errors found
EXIT_UNREADABLE = InputFileError.exit_code  # a file could not be read at all
RETURN_NAME_PATTERN = "ap_census_*"  # in a folder, only files named as returns are read
SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.QUERY: "yellow"}

Outcome = ValidationReport | InputFileError


def _list_rules(show: bool) -> None:
    if not show:
        return
    table = Table(title="AP census validation rules")
    for column in ("rule", "severity", "what is wrong", "what to do"):
        table.add_column(column)
    for rule in RULES:
        style = SEVERITY_STYLE[rule.severity]
        table.add_row(rule.id, f"[{style}]{rule.severity.value}[/]", rule.title, rule.action)
    out.print(table)
    raise typer.Exit()


def validate(
    returns: list[Path] = typer.Argument(
        ..., help="Return files (.xml or .csv), or folders holding them.", show_default=False
    ),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON document instead."),
    min_age: int = typer.Option(DEFAULTS.min_age, help="Youngest plausible age on census day."),
    max_age: int = typer.Option(DEFAULTS.max_age, help="Oldest plausible age on census day."),
    max_rows: int = typer.Option(
        200, min=0, help="Most findings shown per file (--json lists all)."
    ),
    rules: bool = typer.Option(
        False, "--rules", is_eager=True, callback=_list_rules, help="List the rules and exit."
    ),
) -> None:
    """Validate census returns: every finding with its record, field, rule and what to do.

    Exit code 0 when no return has errors (queries allowed), 1 when any has errors,
    2 when a file cannot be read. Findings never show pupils' values.
    """
    settings = ValidationSettings(min_age=min_age, max_age=max_age)
    paths = _return_paths(returns)
    outcomes = [_validate_one(path, settings, alone=len(paths) == 1) for path in paths]
    if json_output:
        _print_json(outcomes, single=len(paths) == 1)
    else:
        for outcome in outcomes:
            _print_outcome(outcome, max_rows)
    raise typer.Exit(_exit_code(outcomes))


def _return_paths(given: list[Path]) -> list[Path]:
    paths: list[Path] = []
    for path in given:
        if path.is_dir():
            found = sorted(
                p
                for p in path.glob(RETURN_NAME_PATTERN)
                if p.suffix.lower() in RETURN_SUFFIXES and p.is_file()
            )
            if not found:
                raise InputFileError(
                    "the folder holds no returns named ap_census_*.xml or .csv",
                    where=Location(file=str(path)),
                    hint="give the return files, or the folder that holds them",
                )
            paths += found
        else:
            paths.append(path)
    return paths


def _validate_one(path: Path, settings: ValidationSettings, *, alone: bool) -> Outcome:
    try:
        with err.status(f"Reading and validating {path.name}"):
            return validate_return(read_return(path), settings)
    except InputFileError as error:
        if alone:  # one file: cli.main.run reports it and exits 2
            raise
        return error


def _exit_code(outcomes: list[Outcome]) -> int:
    if any(isinstance(outcome, InputFileError) for outcome in outcomes):
        return EXIT_UNREADABLE
    if any(not outcome.ok for outcome in outcomes if isinstance(outcome, ValidationReport)):
        return EXIT_ERRORS
    return 0


def _print_outcome(outcome: Outcome, max_rows: int) -> None:
    if isinstance(outcome, InputFileError):
        err.print(f"[bold red]Error:[/] {escape(str(outcome))}", highlight=False, soft_wrap=True)
        return
    if outcome.findings:
        out.print(findings_table(outcome.findings[:max_rows]))
    hidden = len(outcome.findings) - max_rows
    if hidden > 0:
        out.print(f"... and {hidden} more findings (use --json to list them all)", soft_wrap=True)
    out.print(report_summary(outcome), highlight=False, soft_wrap=True)


def findings_table(findings: tuple[Finding, ...]) -> Table:
    table = Table()
    for column in ("file", "record", "field", "rule", "severity", "message"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        style = SEVERITY_STYLE[finding.severity]
        table.add_row(
            escape(finding.file),
            "" if finding.record is None else str(finding.record),
            finding.field or "",
            finding.rule_id,
            f"[{style}]{finding.severity.value}[/]",
            escape(finding.message),
        )
    return table


def report_summary(report: ValidationReport) -> str:
    errors, queries = len(report.errors), len(report.queries)
    verdict = "[bold red]not ready[/]" if errors else "[green]ready[/]"
    return (
        f"{escape(report.source)}: {report.pupils_read} pupils read, "
        f"{errors} errors, {queries} queries: {verdict}"
    )


def _print_json(outcomes: list[Outcome], *, single: bool) -> None:
    documents = [_as_json(outcome) for outcome in outcomes]
    typer.echo(json.dumps(documents[0] if single else documents, indent=2))


def _as_json(outcome: Outcome) -> dict[str, object]:
    if isinstance(outcome, InputFileError):
        source = outcome.where.file if outcome.where else None
        return {"source": source, "error": outcome.to_json()}
    return {
        "source": outcome.source,
        "pupils_read": outcome.pupils_read,
        "errors": len(outcome.errors),
        "queries": len(outcome.queries),
        "findings": [
            {
                "file": f.file,
                "record": f.record,
                "field": f.field,
                "rule": f.rule_id,
                "severity": f.severity.value,
                "message": f.message,
            }
            for f in outcome.findings
        ],
    }
