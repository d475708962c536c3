"""Entry point: ``safepupil``. Registers each command family and maps errors to exit codes."""

from __future__ import annotations

import sys

import typer
from rich.markup import escape

from safepupil.cli import (
    access_code_cmd,
    audit_cmd,
    catalogue_cmd,
    corrections_cmd,
    demo_cmd,
    dummy_cmd,
    init_cmd,
    intake_cmd,
    keys_cmd,
    la_cmd,
    notice_cmd,
    objections_cmd,
    people_cmd,
    projects_cmd,
    query_cmd,
    register_cmd,
    retention_cmd,
    review_cmd,
    serve_cmd,
    synth_cmd,
)
from safepupil.cli.console import err
from safepupil.errors import InternalError, SafepupilError

app = typer.Typer(
    name="safepupil",
    help="A Five Safes research data service for pupil records in England.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command("synth")(synth_cmd.synth)
app.command("demo")(demo_cmd.demo)
app.command("init")(init_cmd.init)
app.command("intake")(intake_cmd.intake)
app.add_typer(la_cmd.app, name="la")
app.add_typer(keys_cmd.app, name="keys")
app.command("catalogue")(catalogue_cmd.catalogue)
app.command("dummy")(dummy_cmd.dummy)
app.add_typer(query_cmd.app, name="query")
app.add_typer(people_cmd.app, name="people")
app.add_typer(projects_cmd.app, name="projects")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(review_cmd.app, name="review")
app.add_typer(corrections_cmd.app, name="corrections")
app.add_typer(objections_cmd.app, name="objections")
app.add_typer(retention_cmd.app, name="retention")
app.add_typer(register_cmd.app, name="register")
app.add_typer(access_code_cmd.app, name="access-code")
app.command("who-used")(access_code_cmd.who_used)
app.command("notice")(notice_cmd.notice)
app.command("serve")(serve_cmd.serve)


def report_error(error: SafepupilError) -> None:
    # Escaped: a file name may contain [brackets]; soft wrap keeps paths greppable.
    err.print(f"[bold red]Error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)


def run() -> None:
    try:
        app()
    except SafepupilError as error:
        report_error(error)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err.print("Interrupted: nothing partial was left behind.")
        sys.exit(130)
    except Exception as error:
        report_error(InternalError(f"unexpected {type(error).__name__}"))
        sys.exit(InternalError.exit_code)


if __name__ == "__main__":
    run()
