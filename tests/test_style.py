"""The tree is ruff-clean (lint and format), so CI's one test command checks the style too."""

import pathlib
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]


def _ruff():
    found = shutil.which("ruff")
    if found:
        return [found]
    try:
        import ruff  # noqa: F401
    except ImportError:
        pytest.skip("ruff is not installed (it is in the 'test' extra)")
    return [sys.executable, "-m", "ruff"]


@pytest.mark.parametrize(
    "command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"]
)
def test_ruff(command):
    result = subprocess.run(_ruff() + command, cwd=REPO_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, (
        f"ruff {' '.join(command)} found problems:\n{result.stdout}{result.stderr}"
    )
