"""``safepupil la manifest`` and ``safepupil la prepare``."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import typer
from rich.table import Table

from safepupil.cli.console import out
from safepupil.collection.keys.layout import KeyLayout
from safepupil.collection.keys.load import load_la_tool_keys
from safepupil.collection.manifest import Manifest, build_manifest, count_return
from safepupil.collection.policy import StatisticsOnlyPolicy, default_policy, load_policy
from safepupil.collection.prepare import Receipt, prepare_submission
from safepupil.collection.read import read_return
from safepupil.config import settings_from_environment

POLICY_HELP = "Statistics-only policy file (TOML). Default: the one shipped with safepupil."


def _policy(path: Path | None) -> StatisticsOnlyPolicy:
    return load_policy(path) if path else default_policy()


def manifest(
    return_path: Path = typer.Argument(..., metavar="RETURN", help="The return (.xml or .csv)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    policy: Path | None = typer.Option(None, "--policy", help=POLICY_HELP),
) -> None:
    """Show what would leave the LA, item by item, and this return's counts."""
    chosen = _policy(policy)
    parsed = read_return(return_path)
    document = build_manifest(chosen, count_return(parsed, chosen))
    if json_output:
        typer.echo(json.dumps(document.to_dict(), indent=2))
        return
    _print_manifest(document, return_path)


def _print_manifest(document: Manifest, return_path: Path) -> None:
    table = Table(title=f"What leaves the LA from {return_path.name}")
    for column in ("item", "leaves the LA as", "sent in"):
        table.add_column(column)
    for item in document.items:
        style = "" if item.leaves else "dim"
        sent_in = ", ".join(item.columns) or ("submission header" if item.leaves else "-")
        table.add_row(item.item, item.leaves_as, sent_in, style=style)
    out.print(table)
    if document.counts is not None:
        out.print(f"Pupils in this return: {document.counts.pupils}")
        for name, count in document.counts.withheld:
            out.print(f"Records whose {name} is withheld (sent only as protected counts): {count}")
    out.print(f"Statistics-only policy: {document.policy.source}")


def prepare(
    return_path: Path = typer.Argument(..., metavar="RETURN", help="The return (.xml or .csv)."),
    out_path: Path = typer.Option(..., "--out", help="Where to write the sealed submission."),
    home: Path | None = typer.Option(
        None, "--home", help="Deployment folder holding the keys (default: $SAFEPUPIL_HOME)."
    ),
    pseudonym_key: Path | None = typer.Option(
        None,
        "--pseudonym-key",
        help="The pseudonymisation key file the key custodian installed (default: under --home).",
    ),
    policy: Path | None = typer.Option(None, "--policy", help=POLICY_HELP),
    force: bool = typer.Option(False, "--force", help="Replace an existing file at --out."),
) -> None:
    """Validate, pseudonymise, aggregate and seal a return; print the receipt.

    Refuses a return with validation errors and then writes nothing.
    """
    layout = KeyLayout(settings_from_environment(home).home)
    keys = partial(load_la_tool_keys, layout, pseudonym_key_path=pseudonym_key)
    receipt = prepare_submission(return_path, out_path, keys, _policy(policy), overwrite=force)
    _print_receipt(receipt)


def _print_receipt(receipt: Receipt) -> None:
    table = Table(title="Submission sealed", show_header=False)
    table.add_column("what")
    table.add_column("value")
    rows = [
        ("size", f"{receipt.size_bytes:,} bytes"),
        ("LA, collection, year", f"{receipt.la}, {receipt.collection}, {receipt.year}"),
        ("records sent", f"{receipt.records_sent:,}"),
        *((f"{item} withheld", f"{count:,} records") for item, count in receipt.withheld),
        ("aggregate tables", "\n".join(receipt.aggregate_tables) or "none (too few pupils)"),
        ("aggregate cells", f"{receipt.aggregate_cells:,}"),
        ("aggregate cells suppressed", f"{receipt.aggregate_cells_suppressed:,}"),
        ("encrypted to (national key)", receipt.recipient),
        ("signed by (LA key)", receipt.signer),
        ("created", receipt.created),
    ]
    for what, value in rows:
        table.add_row(what, value)
    out.print(table)
    # Unwrapped, so each checksum stays on one line and can be copied whole.
    out.print(f"Submission: {receipt.submission}", soft_wrap=True, highlight=False)
    out.print(f"SHA-256 of the submission: {receipt.sha256}", soft_wrap=True, highlight=False)
    out.print(
        f"SHA-256 of the return (unchanged): {receipt.return_sha256}",
        soft_wrap=True,
        highlight=False,
    )
    out.print("Keep this receipt: the SHA-256 identifies exactly what was sent.")
