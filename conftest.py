"""Shared pytest fixtures for tests/, tfds_builders/, models/ and tuning/."""

import os
import pathlib

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="session")
def shared_data():
    """Path to ``../shared/data`` (small real recordings); skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"real-data fixture folder {SHARED_DATA} is absent (it sits beside the clone in CI)"
        )
    return SHARED_DATA
