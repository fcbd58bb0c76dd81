"""scripts/bench_fidelity.py's reading of the DCR goal: a ratio below 1 beyond its noise."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import bench_fidelity


def _cells(pathway, table, ratios, se):
    return [{"pathway": pathway, "table": table, "seed": s, "dcr_ratio": r, "dcr_ratio_se": se}
            for s, r in enumerate(ratios)]


def test_dcr_verdict_reads_the_ratio_with_its_standard_error():
    gens = pd.DataFrame([
        *_cells("tight", "a", [0.92, 0.93, 0.94], 0.01),   # below 1 beyond 2 SE: closer
        *_cells("noisy", "a", [0.70, 0.85, 1.00], 0.15),   # a 50-row holdout: not beyond
        *_cells("far", "a", [1.10, 1.20, 1.30], 0.05),
        *_cells("lucky", "a", [0.95, 0.95, 0.95], 0.06),   # seeds agree, bootstrap does not
    ])
    got = bench_fidelity.dcr_verdict(gens).set_index("pathway")
    assert got.loc["tight", "closer"] and not got.loc["noisy", "closer"]
    assert not got.loc["far", "closer"] and not got.loc["lucky", "closer"]
    assert np.isclose(got.loc["lucky", "se"], np.sqrt(3 * 0.06 ** 2) / 3)


def test_ratio_se_shrinks_with_more_held_out_rows():
    rng = np.random.default_rng(0)
    kept = rng.exponential(size=500)
    small = bench_fidelity.ratio_se(kept, rng.exponential(size=50), seed=0)
    large = bench_fidelity.ratio_se(kept, rng.exponential(size=2000), seed=0)
    assert 0 < large < small
