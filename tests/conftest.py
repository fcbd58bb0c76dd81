"""Tiny hand-built tables shared by the tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest


def make_table(n_major: int = 60, n_minor: int = 15, seed: int = 0) -> pd.DataFrame:
    """Mixed kinds, a binary target, the minority shifted so a tree can find it."""
    rng = np.random.default_rng(seed)
    n = n_major + n_minor
    y = np.array(["no"] * n_major + ["yes"] * n_minor, dtype=object)
    shift = (y == "yes").astype(float)
    return pd.DataFrame({
        "amount": np.round(rng.normal(100 + 60 * shift, 15, n), 2),
        "count": rng.poisson(3 + 4 * shift, n).astype("int64"),
        "grade": np.where(rng.random(n) < 0.3 + 0.5 * shift, "C", rng.choice(["A", "B"], n)),
        "flag": rng.random(n) < 0.5,
        "label": y,
    })


@pytest.fixture
def table() -> pd.DataFrame:
    return make_table()


@pytest.fixture
def multiclass() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    sizes = {"a": 50, "b": 20, "c": 12}
    parts = []
    for i, (label, size) in enumerate(sizes.items()):
        parts.append(pd.DataFrame({
            "x": rng.normal(3 * i, 1, size),
            "z": rng.normal(-i, 1, size),
            "cat": rng.choice(["p", "q", "r"], size),
            "label": label,
        }))
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def schema(table):
    from augment.data import detect_schema

    return detect_schema(table, "label")
