"""The package type-checks under mypy's strict mode (pyproject.toml, ``[tool.mypy]``).

Session 31 brought it from 58 errors to none (annotations only); this keeps it there. mypy is pinned in the
test extras, so a new release cannot fail a clean checkout by itself.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_package_type_checks_strictly(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), "fusioncell"],
                       cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 and "Success: no issues found" in r.stdout, r.stdout[-4000:] + r.stderr[-2000:]
