"""scripts/spark-cluster.sh and the --engine / --spark-master options."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fusioncell.store.engine import EngineSettings

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "spark-cluster.sh"


@pytest.mark.parametrize(("argv", "says"), [
    (["--engine", "oracle", "info", "x"], "--engine oracle: unknown engine"),
    (["--spark-master", "spark://h:7077", "info", "x"], "--spark-master needs --engine spark"),
    (["--engine", "spark", "--spark-master", "http://h:7077", "info", "x"], "not a Spark master URL"),
])
def test_a_bad_engine_option_is_one_line_and_exit_2(argv: list[str], says: str) -> None:
    res = subprocess.run([sys.executable, "-m", "fusioncell.cli", *argv], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and says in res.stderr and "Traceback" not in res.stderr


@pytest.mark.parametrize("url", ["spark://127.0.0.1:7077", "spark://a:1,b:2", "local", "local[2]", "local[*]",
                                 "yarn", "k8s://https://api.example:6443"])
def test_spark_master_urls_spark_accepts_are_accepted(url: str) -> None:
    assert EngineSettings("spark", url).master == url


def test_duckdb_is_the_engine_when_nothing_is_said() -> None:
    from fusioncell.store import CaseStore

    assert CaseStore.memory().engine().name == "duckdb"


def _script(cmd: str, state: Path) -> subprocess.CompletedProcess[str]:
    # a loaded 2-core box starts a worker's JVM slowly (60 s timed out at load 8)
    env = dict(os.environ, SPARK_CLUSTER_DIR=str(state), PYTHON=sys.executable, SPARK_CLUSTER_WAIT_S="180")
    return subprocess.run(["bash", str(SCRIPT), cmd], capture_output=True, text=True, env=env, timeout=400)


@pytest.mark.spark
def test_cluster_script_starts_two_workers_reports_its_url_and_stops(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("no Java")
    state = tmp_path / "cluster"
    assert _script("status", state).returncode == 1  # nothing running yet
    try:
        up = _script("start", state)
        assert up.returncode == 0, up.stderr
        url = up.stdout.strip().splitlines()[-1]
        assert re.fullmatch(r"spark://127\.0\.0\.1:\d+", url)
        assert _script("status", state).stdout.strip() == url
        pids = [int((state / f"{n}.pid").read_text()) for n in ("master", "worker-1", "worker-2")]
        for n in ("worker-1", "worker-2"):  # both workers registered with this master
            assert "Successfully registered with master " + url in (state / f"{n}.log").read_text()
    finally:
        down = _script("stop", state)
    assert down.returncode == 0
    assert _script("status", state).returncode == 1
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
