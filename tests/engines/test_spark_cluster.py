"""Spark for real: a standalone master and one worker on 127.0.0.1, started from the PySpark
distribution, run evaluations through `kzf eval --engine spark --master spark://…`: the
library's EGDI file, whose result must equal the pandas engine's, and a file of 2·10^7 rows
that the executors read and write themselves while the driver has less memory than the data
(what the driver would need to hold it, it has not). The cluster is always stopped, whatever
happens."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import kzf_engines_compare as compare  # tests/engines/compare.py, registered by tests/conftest.py
import pytest

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _wait_for(predicate, seconds: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    tails = "\n".join(f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:] for p in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((HOST, port)) == 0


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)  # the group we started: spark-class and its JVM
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=20)


@pytest.fixture
def cluster(engines: list[str], tmp_path: Path) -> Iterator[str]:
    if "spark" not in engines:
        pytest.skip("Spark is not available here")
    import pyspark

    home = Path(pyspark.__file__).parent
    spark_class = home / "bin" / "spark-class"
    env = {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": HOST,
        "SPARK_NO_DAEMONIZE": "1",
        "PYSPARK_PYTHON": sys.executable,
    }
    port = _free_port()
    master_url = f"spark://{HOST}:{port}"
    procs: list[subprocess.Popen] = []
    logs = [tmp_path / "master.log", tmp_path / "worker.log"]
    try:
        with logs[0].open("w") as log:
            procs.append(
                subprocess.Popen(
                    [str(spark_class), "org.apache.spark.deploy.master.Master",
                     "--host", HOST, "--port", str(port), "--webui-port", str(_free_port())],
                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            )  # fmt: skip
        _wait_for(lambda: _listening(port), 120, "the Spark master", logs[:1])
        with logs[1].open("w") as log:
            procs.append(
                subprocess.Popen(
                    [str(spark_class), "org.apache.spark.deploy.worker.Worker",
                     "--host", HOST, "--cores", "2", "--memory", "2g",
                     "--webui-port", str(_free_port()), master_url],
                    env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                )
            )  # fmt: skip
        _wait_for(
            lambda: "Registering worker" in logs[0].read_text(errors="replace"),
            120,
            "the worker to register",
            logs,
        )
        yield master_url
    finally:
        for proc in reversed(procs):
            _stop(proc)


@pytest.mark.timeout(600)
def test_an_evaluation_runs_on_a_standalone_spark_cluster(cluster: str) -> None:
    base = [sys.executable, "-m", "kzf", "eval", "formulas/egdi.kzf", "--format", "csv"]
    env = {**os.environ, "SPARK_LOCAL_IP": HOST}
    want = subprocess.run(base, cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert want.returncode == 0, want.stderr
    got = subprocess.run(
        [*base, "--engine", "spark", "--master", cluster],
        cwd=ROOT, capture_output=True, text=True, timeout=480, env=env,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr[-3000:]
    assert got.stdout == want.stdout
    assert "KZF201" in got.stderr  # the warnings come back from the cluster too


# 2·10^7 rows: 490 MB of Parquet, 800 MB as float64 and keys (40 bytes a row), more as JVM
# rows; the driver gets 512 MB (Spark's floor is 450 MB), the one executor 1.5 GB.
CLUSTER_ROWS = 20_000_000
DRIVER_MEMORY = "512m"


@pytest.mark.timeout(900)
def test_the_executors_read_and_write_a_file_larger_than_the_drivers_memory(
    cluster: str, tmp_path: Path
) -> None:
    data, out = tmp_path / "big.parquet", tmp_path / "egdi.parquet"
    compare.write_egdi_panel(data, CLUSTER_ROWS)
    formula = tmp_path / "egdi.kzf"
    formula.write_text(compare.EGDI, encoding="utf-8")
    env = {
        **os.environ,
        "SPARK_LOCAL_IP": HOST,
        "KZF_SPARK_DRIVER_MEMORY": DRIVER_MEMORY,
        "KZF_SPARK_EXECUTOR_MEMORY": "1536m",
    }
    command = [sys.executable, "-m", "kzf", "eval", str(formula), "--data", str(data)]
    command += ["--engine", "spark", "--master", cluster, "--out", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=840, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "KZF160" not in done.stderr, done.stderr  # Spark read it, not pandas
    assert compare.egdi_mismatches(data, out) == (CLUSTER_ROWS, 0, 0)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []
