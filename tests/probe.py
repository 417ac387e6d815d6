"""Run a snippet of Python in a fresh interpreter that imports this checkout's fusioncell (what a command
loads, what a process starts with: things a test inside pytest's own process cannot see)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])


def run_python(code: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python -c code args...`` with the checkout first on ``PYTHONPATH``; fails the test on a non-zero exit."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=cwd,
                          check=True)
