"""bench/load.py keeps working: a short run (4 clients, 3 s) over HTTP with no errors.
CI runs the longer one: `python bench/load.py --seconds 10` (16 clients)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parents[2] / "bench" / "load.py"


@pytest.mark.timeout(300)
def test_load_script_runs_without_errors(tmp_path: Path) -> None:
    pytest.importorskip("gradio_client")
    report = tmp_path / "load.json"
    result = subprocess.run(
        [sys.executable, str(LOAD), "--clients", "4", "--seconds", "3", "--json", str(report)],
        capture_output=True, text=True, timeout=280, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(report.read_text())
    assert figures["clients"] == 4 and figures["errors"] == 0 and figures["requests"] > 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    header, row = result.stdout.strip().splitlines()[-2:]
    assert header.split() == ["clients", "requests", "req/s", "p50", "ms", "p95", "ms", "p99",
                              "ms", "errors"]
    assert row.split()[-1] == "0"


def test_load_script_refuses_bad_options() -> None:
    result = subprocess.run(
        [sys.executable, str(LOAD), "--clients", "0"], capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "--clients must be between 1 and 256" in result.stderr
