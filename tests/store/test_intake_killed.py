"""An intake killed with SIGKILL inside its transaction leaves the store unchanged and usable."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from safepupil.errors import ConfigError
from safepupil.store.deployment import load_deployment, open_store
from tests.store.test_intake_support import (
    LAS,
    National,
    copy_deployment,
    intake,
    shared_national,
    snapshot,
)

# Runs in a child process: loads a submission and, inside the transaction once the
# records are written, reports how many rows it sees and then waits to be killed.
CHILD = """
import sys, time
from pathlib import Path
from safepupil.store.catalogue import load_catalogue
from safepupil.store.deployment import load_deployment, open_store
from safepupil.store.intake import intake_submission, load_intake_keys

home, submission, marker = map(Path, sys.argv[1:4])
deployment = load_deployment(home)
with open_store(deployment) as store:
    def pause():
        rows = store.execute("SELECT count(*) FROM ap_census_records").fetchone()[0]
        marker.write_text(str(rows))
        time.sleep(300)
    keys = load_intake_keys(deployment.paths.keys)
    intake_submission(store, submission, keys, load_catalogue(), inside_transaction=pause)
"""
WAIT_SECONDS = 60


@pytest.fixture(scope="session")
def national(tmp_path_factory: pytest.TempPathFactory) -> National:
    return shared_national(tmp_path_factory)


def records_in_store(home: Path) -> int:
    with open_store(load_deployment(home), read_only=True) as store:
        return int(store.execute("SELECT count(*) FROM ap_census_records").fetchone()[0])


def wait_for(marker: Path, child: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        if child.poll() is not None:
            pytest.fail(f"the intake ended before pausing: {child.stderr.read().decode()}")  # type: ignore[union-attr]
        time.sleep(0.05)
    child.kill()
    pytest.fail("the intake never reached its transaction")


@pytest.mark.slow
def test_an_intake_killed_mid_transaction_leaves_the_store_unchanged_and_usable(
    national: National, tmp_path: Path
) -> None:
    deployment = copy_deployment(national, tmp_path / "home")
    intake(deployment, national.sealed[LAS[1]])
    before = snapshot(deployment)
    rows_before = records_in_store(deployment.home)
    marker = tmp_path / "inside"
    submission = national.sealed[LAS[0]]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(deployment.home), str(submission), str(marker)],
        stderr=subprocess.PIPE,
    )
    rows_inside = wait_for(marker, child)
    with pytest.raises(ConfigError, match="open already"):  # one writer at a time
        records_in_store(deployment.home)
    child.kill()  # SIGKILL: no handler, no rollback, no clean close
    child.wait()
    assert rows_inside > rows_before  # it was killed with the new records written
    assert snapshot(deployment) == before
    outcome = intake(deployment, submission)  # and the store still takes the submission
    assert outcome.version == 1 and not outcome.already_loaded
    assert records_in_store(deployment.home) == rows_before + outcome.records_loaded
