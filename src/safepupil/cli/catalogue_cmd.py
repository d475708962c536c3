"""``safepupil catalogue [DATASET]``: the datasets and items a project may ask for."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from safepupil.cli.console import out
from safepupil.store.catalogue import Dataset, load_catalogue


def catalogue(
    dataset: str | None = typer.Argument(None, help="Show this dataset's items in full."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """List the catalogue: datasets, or one dataset's items with their sensitivity (A most
    sensitive .. E), identifiability (1 most identifying .. 5), retention and codeset."""
    chosen = load_catalogue()
    names = [dataset] if dataset else chosen.dataset_names
    datasets = [chosen.dataset(name) for name in names]  # QueryError names near matches
    if json_output:
        typer.echo(json.dumps([_as_json(d) for d in datasets], indent=2))
    elif dataset:
        out.print(_items_table(datasets[0]))
    else:
        out.print(_datasets_table(datasets))


def _datasets_table(datasets: list[Dataset]) -> Table:
    table = Table(title="Datasets in the national store")
    for column in ("dataset", "reference date", "items", "statistics-only items"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold", min_width=20)
    for dataset in datasets:
        withheld = ", ".join(i.name for i in dataset.items if i.statistics_only) or "-"
        table.add_row(
            dataset.name,
            dataset.reference_date.isoformat(),
            str(len(dataset.items)),
            withheld,
            dataset.description,
        )
    return table


def _items_table(dataset: Dataset) -> Table:
    table = Table(title=f"{dataset.name}: {dataset.description}")
    table.caption = "sens: sensitivity A (highest) .. E; ident: identifiability 1 (most) .. 5"
    for column in ("item", "type", "codeset", "sens", "ident", "years kept"):
        table.add_column(column, no_wrap=True)
    table.add_column("description", overflow="fold", min_width=20)
    for item in dataset.items:
        note = " (statistics-only values)" if item.statistics_only else ""
        table.add_row(
            item.name,
            item.type,
            item.codeset or "",
            item.sensitivity,
            str(item.identifiability),
            str(item.retention_years),
            item.description + note,
        )
    for derived in dataset.derived:
        table.add_row(
            derived.name, f"derived ({derived.kind})", "", "", "", "", derived.description
        )
    return table


def _as_json(dataset: Dataset) -> dict[str, object]:
    return {
        "dataset": dataset.name,
        "description": dataset.description,
        "reference_date": dataset.reference_date.isoformat(),
        "items": [
            {
                "name": i.name,
                "type": i.type,
                "codeset": i.codeset,
                "sensitivity": i.sensitivity,
                "identifiability": i.identifiability,
                "retention_years": i.retention_years,
                "statistics_only": i.statistics_only,
                "description": i.description,
            }
            for i in dataset.items
        ],
        "derived": [
            {"name": d.name, "kind": d.kind, "source": d.source, "description": d.description}
            for d in dataset.derived
        ],
    }
