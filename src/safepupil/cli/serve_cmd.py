"""``safepupil serve``: the HTTP API and web pages on this machine (uvicorn)."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from safepupil.cli.audit_cmd import HOME_HELP, control_plane
from safepupil.cli.console import out
from safepupil.config import HOME_ENV, settings_from_environment
from safepupil.errors import ConfigError

LOOPBACK = ("127.0.0.1", "::1", "localhost")
# With --workers above 1, uvicorn pings each worker and kills one that does not answer in
# time; its default (5 s) is shorter than a worker's start on a busy 2-core machine (it
# imports this whole command line first), so the workers were killed and restarted for
# ever and nothing answered. A hung worker is still replaced, after this long.
WORKER_HEALTHCHECK_SECONDS = 60


def serve(
    home: Path | None = typer.Option(None, "--home", help=HOME_HELP),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8000, min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, max=32, help="Server processes."),
    allow_remote: bool = typer.Option(
        False,
        "--allow-remote",
        help="Listen on a non-loopback address (put TLS in front of it first).",
    ),
) -> None:
    """Start the service: the API (description at /docs) and the web pages."""
    import uvicorn  # imported here: the other commands start faster without it

    if host not in LOOPBACK and not allow_remote:
        raise ConfigError(
            f"{host} is not a loopback address",
            hint="serve on 127.0.0.1 behind a TLS proxy, or pass --allow-remote",
        )
    settings = settings_from_environment(home)
    with control_plane(settings.home):  # refuses an unmigrated or unreachable control plane
        pass
    # Worker processes build the app themselves: the home reaches them this way.
    os.environ[HOME_ENV] = str(settings.home.resolve())
    out.print(f"safepupil is at http://{host}:{port}/ (API description: /docs); Ctrl-C stops it")
    uvicorn.run(
        "safepupil.web.serve:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        env_file=None,
        server_header=False,
        proxy_headers=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
