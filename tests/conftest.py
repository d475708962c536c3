"""Shared fixtures for the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent


@pytest.fixture
def test_data_dir() -> Path:
    return TESTS_DIR / "data"
