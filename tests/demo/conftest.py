"""One small demo deployment for the package: the data flow, then the research service."""

from __future__ import annotations

import pytest

from safepupil.demo.flow import DemoResult, run_demo
from safepupil.demo.service import ServiceDemo, run_service_demo
from safepupil.synth import SynthSpec


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    root = tmp_path_factory.mktemp("demo")
    return run_demo(root / "out", SynthSpec(pupils=1_500, school_pupils=5_000, seed=7))


@pytest.fixture(scope="package")
def service_demo(demo: DemoResult) -> ServiceDemo:
    return run_service_demo(demo)
