"""The benchmarks' scheduling guard (ADR 0055): session autogrouping is off while a benchmark
runs and restored after it, also when the run fails; it is left alone when asked or absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.common import one_scheduling_group


def test_autogrouping_is_off_during_the_run_and_restored_after(tmp_path: Path) -> None:
    switch = tmp_path / "sched_autogroup_enabled"
    switch.write_text("1\n")
    with one_scheduling_group(switch) as note:
        assert switch.read_text() == "0"
        assert "off for this run" in note
    assert switch.read_text() == "1"


def test_a_failed_run_still_restores_it(tmp_path: Path) -> None:
    switch = tmp_path / "sched_autogroup_enabled"
    switch.write_text("1")
    with pytest.raises(RuntimeError), one_scheduling_group(switch):
        raise RuntimeError("the benchmark failed")
    assert switch.read_text() == "1"


def test_kept_when_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    switch = tmp_path / "sched_autogroup_enabled"
    switch.write_text("1")
    monkeypatch.setenv("BENCH_KEEP_AUTOGROUP", "1")
    with one_scheduling_group(switch) as note:
        assert switch.read_text() == "1"
        assert "kept" in note


def test_already_off_or_absent_is_left_alone(tmp_path: Path) -> None:
    switch = tmp_path / "sched_autogroup_enabled"
    switch.write_text("0")
    with one_scheduling_group(switch) as note:
        assert note.endswith(": off")
    assert switch.read_text() == "0"
    with one_scheduling_group(tmp_path / "missing") as note:
        assert "not present" in note
