"""A build killed with SIGKILL at any point leaves a loadable index equal to the old or the
new one, and the next build cleans up after it.

Kill points: a deterministic sweep over a trace of the lines the build runs in the `index`
package (every line of the generation swap, the edges of the manifest write and of the
clean-up, and the first run of source lines spread over the whole build: 30-odd points),
and 8 kills at moments spread over a longer build's wall time. Each kill is followed by a
check of the index and by the next build.
"""

from __future__ import annotations

import random
import shutil
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hardening_support import Snapshot, leftovers, snapshot, start_build, write_set

from index import HashEmbedder, build_index

SPREAD_POINTS = 14
TIMED_KILLS = 8
CRITICAL = ("publish", "write_manifest", "remove_old_generations")


@dataclass(frozen=True)
class Scenario:
    root: Path
    pristine: Path  # the index built from set "a", copied before each kill
    new_sources: Path
    old: Snapshot
    new: Snapshot


def make_scenario(root: Path, *, extra: int) -> Scenario:
    sets = write_set(root / "a", "a", extra=extra), write_set(root / "b", "b", extra=extra)
    build_index(root / "pristine", [sets[0]], embedder=HashEmbedder())
    shutil.copytree(root / "pristine", root / "expected")
    build_index(root / "expected", [sets[1]], embedder=HashEmbedder())
    scenario = Scenario(root, root / "pristine", sets[1], snapshot(root / "pristine"),
                        snapshot(root / "expected"))
    assert scenario.old != scenario.new
    return scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return make_scenario(tmp_path_factory.mktemp("kill"), extra=2)


def fresh_copy(scenario: Scenario, name: str) -> Path:
    work = scenario.root / name
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(scenario.pristine, work)
    return work


def check_after_kill(scenario: Scenario, work: Path) -> str:
    """The index must load and be the old or the new one; the next build must clean up
    and reach the new one. Returns which state the kill left."""
    state = snapshot(work)
    assert state in (scenario.old, scenario.new)
    build_index(work, [scenario.new_sources], embedder=HashEmbedder(), lock_timeout=10)
    assert leftovers(work) == []
    assert not list(work.glob("library/.*.part"))
    assert snapshot(work) == scenario.new
    assert len(list(work.glob("gen-*"))) <= 2
    return "old" if state == scenario.old else "new"


def kill_points(scenario: Scenario) -> list[int]:
    """Line numbers (1-based positions in the trace) to kill the build at."""
    work = fresh_copy(scenario, "trace")
    trace = scenario.root / "trace.txt"
    process = start_build(work, scenario.new_sources, trace_file=str(trace))
    process.join(60)
    assert process.exitcode == 0
    assert snapshot(work) == scenario.new
    lines = trace.read_text("utf-8").split("\n")
    # Every line of the swap; the first and last line of the manifest write and of the
    # removal of old generations; and, spread evenly over the distinct source lines the
    # build runs (in order of first use, so loops don't crowd them), their first run.
    swap = [n for n, line in enumerate(lines, 1) if line.endswith(" publish")]
    edges = [n for name in CRITICAL[1:] for n in _first_and_last(lines, name)]
    firsts: dict[str, int] = {}
    for n, line in enumerate(lines, 1):
        firsts.setdefault(line, n)
    starts = sorted(firsts.values())
    spread = starts[:: max(1, len(starts) // SPREAD_POINTS)]
    assert swap and edges, "the trace must see the generation swap"
    return sorted({*swap, *edges, *spread})


def _first_and_last(lines: list[str], function: str) -> list[int]:
    found = [n for n, line in enumerate(lines, 1) if line.endswith(f" {function}")]
    return found[:1] + found[-1:]


@pytest.mark.timeout(300)
def test_sigkill_at_every_step_of_a_build(scenario: Scenario) -> None:
    points = kill_points(scenario)
    assert len(points) >= 20
    outcomes = []
    for point in points:
        work = fresh_copy(scenario, "work")
        process = start_build(work, scenario.new_sources, kill_at=point)
        process.join(60)
        assert process.exitcode == -signal.SIGKILL, f"kill point {point} never reached"
        outcomes.append(check_after_kill(scenario, work))
    # The sweep saw both sides of the swap.
    assert {"old", "new"} <= set(outcomes), outcomes


@pytest.mark.timeout(300)
def test_sigkill_at_random_moments(tmp_path: Path) -> None:
    scenario = make_scenario(tmp_path, extra=40)
    work = fresh_copy(scenario, "timing")
    started = time.perf_counter()
    process = start_build(work, scenario.new_sources)
    process.join(60)
    duration = time.perf_counter() - started
    assert process.exitcode == 0
    moments = random.Random(5).sample(range(1000), TIMED_KILLS)
    for moment in sorted(moments):
        work = fresh_copy(scenario, "timing")
        process = start_build(work, scenario.new_sources)
        time.sleep(duration * moment / 1000)
        process.kill()  # SIGKILL
        process.join(60)
        check_after_kill(scenario, work)


def test_next_build_removes_what_a_killed_upload_left(scenario: Scenario) -> None:
    work = fresh_copy(scenario, "upload")
    library = work / "library"
    library.mkdir()
    (library / ".b-ferry.txt.part").write_text("half a file", "utf-8")  # add_files' temp name
    (work / "tmp-abc123").mkdir()
    (work / "tmp-abc123" / "store.sqlite").write_bytes(b"partial")
    assert snapshot(work) == scenario.old
    build_index(work, [scenario.new_sources], embedder=HashEmbedder())
    assert leftovers(work) == [] and not list(library.iterdir())
