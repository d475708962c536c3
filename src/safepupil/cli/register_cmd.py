"""``safepupil register``: the public register of data uses, shown or exported."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.transparency.register import build_register, export_register

app = typer.Typer(help="The public register of projects and releases.", no_args_is_help=True)

HOME = typer.Option(None, "--home", help=HOME_HELP)


@app.command("export")
def export(
    out_folder: Path = typer.Option(..., "--out", help="Folder for register.json and the CSVs."),
    home: Path | None = HOME,
) -> None:
    """Write register.json, projects.csv and releases.csv (built now from the control plane)."""
    with control_plane(home) as engine:
        register = build_register(engine)
    for path in export_register(register, out_folder):
        out.print(f"wrote {escape(str(path))}", soft_wrap=True)
    out.print(
        f"{len(register.projects)} projects, {len(register.releases)} releases, "
        f"{register.refused_releases} refused"
    )


@app.command("show")
def show(
    json_output: bool = typer.Option(False, "--json", help="The register as JSON."),
    home: Path | None = HOME,
) -> None:
    """The register: every approved project and every release."""
    with control_plane(home) as engine:
        register = build_register(engine)
    if json_output:
        typer.echo(json.dumps(register.to_dict(), indent=2, sort_keys=True))
        return
    for project in register.projects:
        out.print(
            f"project {project.id} ({project.status}): {escape(project.title)}, "
            f"{escape(project.organisation)} ({project.organisation_type}); "
            f"{project.releases} releases, {project.refused_releases} refused",
            soft_wrap=True,
        )
    for release in register.releases:
        out.print(
            f"{release.released_at:%Y-%m-%d} {release.id} project {release.project_id} "
            f"{release.dataset}: {release.pupils} pupils, "
            f"{release.cells_suppressed} cells suppressed",
            soft_wrap=True,
        )
    out.print(f"refused releases in total: {register.refused_releases}")
