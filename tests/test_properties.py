"""Property-based tests on small random mixed tables: preservation, validity, determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from augment import Augmenter

SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@st.composite
def tables(draw):
    """A mixed table: float, integer and categorical features; a binary target, minority >= 8."""
    seed = draw(st.integers(0, 2**31 - 1))
    n_minor = draw(st.integers(8, 14))
    n_major = draw(st.integers(n_minor + 4, 40))
    n_float = draw(st.integers(1, 2))
    n_int = draw(st.integers(0, 2))
    n_cat = draw(st.integers(0, 2))
    rng = np.random.default_rng(seed)
    n = n_major + n_minor
    y = np.array(["maj"] * n_major + ["min"] * n_minor, dtype=object)
    shift = (y == "min").astype(float)
    cols = {}
    for i in range(n_float):
        cols[f"f{i}"] = np.round(rng.normal(2 * shift, 1 + i, n), 3)
    for i in range(n_int):
        cols[f"i{i}"] = rng.integers(-5, 20, n).astype("int64") + (3 * shift).astype("int64")
    for i in range(n_cat):
        levels = draw(st.lists(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]),
                                       min_size=1, max_size=4),
                               min_size=2, max_size=4, unique_by=lambda s: s.strip().lower()))
        cols[f"c{i}"] = np.array(levels, dtype=object)[rng.integers(0, len(levels), n)]
        cols[f"c{i}"][:len(levels)] = levels  # every level appears
    cols["target"] = y
    return pd.DataFrame(cols)


def _fit(table: pd.DataFrame, seed: int = 0):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Augmenter(generator="smote", profile=None, batch_gates=(), random_state=seed,
                         progress=False).fit_table(table, "target")


@pytest.mark.slow
@SETTINGS
@given(tables())
def test_real_rows_preserved_byte_for_byte(table):
    before = table.copy()
    out = _fit(table).result_.augmented
    real = out[~out["_synthetic"].to_numpy()][list(table.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(real, table, check_exact=True)
    assert (pd.util.hash_pandas_object(real, index=False).to_numpy()
            == pd.util.hash_pandas_object(table, index=False).to_numpy()).all()
    pd.testing.assert_frame_equal(table, before, check_exact=True)
    assert list(out.columns[:len(table.columns)]) == list(table.columns)


@SETTINGS
@given(tables())
def test_kept_rows_are_valid(table):
    aug = _fit(table)
    kept = aug.result_.synthetic
    if not len(kept):  # legitimate: e.g. a weak labeler keeps the label bar at 0.9 and backs none
        assert all(r["shortfall"] > 0 for r in aug.result_.regions)
        return
    for col in aug.schema_.columns.values():
        values = kept[col.name]
        assert values.notna().all()
        if col.is_numeric:
            assert values.min() >= col.minimum - 1e-12 and values.max() <= col.maximum + 1e-12
            if col.kind == "integer":
                assert (values == np.round(values)).all()
        else:
            assert set(values) <= set(col.categories)
        assert values.dtype == table[col.name].dtype
    assert set(kept["target"]) <= set(table["target"])


@pytest.mark.slow
@SETTINGS
@given(tables(), st.integers(0, 3))
def test_same_seed_same_output(table, seed):
    a = _fit(table, seed).result_
    b = _fit(table, seed).result_
    pd.testing.assert_frame_equal(a.augmented, b.augmented, check_exact=True)
    pd.testing.assert_frame_equal(a.rejected, b.rejected, check_exact=True)
