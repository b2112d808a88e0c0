"""The scaled benchmark's smallest size runs end to end (no timings asserted: they belong in RESULTS.md)."""

from __future__ import annotations

import pytest

from benchmarks.scaled_benchmark import STAGES, _row, highs_alone, measure_size


def test_smallest_scaled_size_solves_and_matches_highs_alone(tmp_path):
    ours = measure_size("xs", tmp_path)
    assert ours["status"] == "optimal"
    assert ours["self_check_failures"] == 0
    assert ours["nonzeros"] > 1000
    assert all(ours[stage] >= 0 for stage in STAGES)
    alone = highs_alone(tmp_path / "lp.mps")
    assert alone["status"] == "Optimal"
    assert alone["objective"] == pytest.approx(ours["objective"], rel=1e-7)
    ours["alone"], ours["total"] = alone, sum(ours[stage] for stage in STAGES)
    assert _row(ours).startswith("| xs | 10 x 20")
