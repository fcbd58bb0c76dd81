"""The one distance space (DistanceEncoder) and the one model encoder (make_encoder)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from augment.data import CATEGORY_WEIGHT, DistanceEncoder, detect_schema, make_encoder


def _real():
    return pd.DataFrame({
        "x": [0.0, 5.0, np.nan, 10.0, 2.0, 8.0],
        "n": [1, 2, 3, 4, 5, 6],
        "c": ["a", "b", "a", None, "b", "a"],
        "y": ["u", "v", "u", "v", "u", "v"],
    })


def _fitted():
    real = _real()
    return real, DistanceEncoder(detect_schema(real, "y")).fit(real)


def _distance(a, b):
    return float(np.sqrt(((a - b) ** 2).sum()))


_X = np.array([0.0, 5.0, 10.0, 2.0, 8.0])  # x without its missing value
_N = np.arange(1.0, 7.0)


def test_numeric_columns_are_z_scored_and_missing_gets_median_and_indicator():
    real, enc = _fitted()
    codes = enc.transform(real)
    z = (_X - _X.mean()) / _X.std()  # the missing value does not shrink the scale
    np.testing.assert_allclose(codes[[0, 1, 3, 4, 5], 0], z)
    assert codes[2, 0] == pytest.approx(np.median(z))  # missing: the median
    np.testing.assert_allclose(codes[:, 1], (_N - _N.mean()) / _N.std())
    np.testing.assert_array_equal(codes[:, 2], [0, 0, 1, 0, 0, 0])  # x had missing values
    assert enc.onehot_width_ == 3  # a, b, missing
    assert codes.shape[1] == 3 + 3


def test_one_category_apart_weighs_like_sqrt2_standard_deviations():
    _, enc = _fitted()
    sd = _X.std()
    rows = pd.DataFrame({"x": [5.0, 5.0, 5.0 + sd, 5.0], "n": [3, 3, 3, 3],
                         "c": ["a", "b", "a", "zz"]})
    codes = enc.transform(rows)
    assert _distance(codes[0], codes[1]) == pytest.approx(np.sqrt(2))  # categories a vs b
    assert _distance(codes[0], codes[2]) == pytest.approx(1.0)  # one standard deviation
    # a category the real rows never had: all zeros, CATEGORY_WEIGHT from a seen one
    assert (codes[3, -enc.onehot_width_:] == 0).all()
    assert _distance(codes[0], codes[3]) == pytest.approx(CATEGORY_WEIGHT)


def test_synthetic_rows_use_what_was_learned_on_real_rows():
    real, enc = _fitted()
    before = enc.transform(real)
    synth = pd.DataFrame({"x": [20.0, np.nan], "n": ["7", None], "c": ["b", "a"]})
    codes = enc.transform(synth)
    z = (_X - _X.mean()) / _X.std()
    np.testing.assert_allclose(codes[:, 0], [(20.0 - _X.mean()) / _X.std(), np.median(z)])
    # text parses; a missing value where the real rows had none: the median, no indicator
    np.testing.assert_allclose(codes[:, 1], (np.array([7.0, 3.5]) - _N.mean()) / _N.std())
    np.testing.assert_array_equal(codes[:, 2], [0, 1])
    np.testing.assert_array_equal(enc.transform(real), before)  # nothing refitted


def test_input_is_not_modified_and_order_of_columns_does_not_matter():
    real, enc = _fitted()
    copy = real.copy()
    enc.transform(real)
    DistanceEncoder(detect_schema(real, "y")).fit(real)
    pd.testing.assert_frame_equal(real, copy)
    shuffled = real[["c", "y", "n", "x"]]
    np.testing.assert_array_equal(enc.transform(shuffled), enc.transform(real))


def test_clone_pickle_empty_and_not_fitted():
    real, enc = _fitted()
    assert enc.transform(real.head(0)).shape == (0, 6)
    again = pickle.loads(pickle.dumps(enc))
    np.testing.assert_array_equal(again.transform(real), enc.transform(real))
    fresh = clone(enc)
    with pytest.raises(NotFittedError):
        fresh.transform(real)
    np.testing.assert_array_equal(fresh.fit(real).transform(real), enc.transform(real))


def test_numeric_only_and_categorical_only_tables():
    real = _real()
    num = real[["x", "n", "y"]]
    enc = DistanceEncoder(detect_schema(num, "y")).fit(num)
    assert enc.onehot_width_ == 0 and enc.transform(num).shape == (6, 3)
    cat = real[["c", "y"]]
    enc = DistanceEncoder(detect_schema(cat, "y")).fit(cat)
    assert enc.transform(cat).shape == (6, 3)
    assert set(np.unique(enc.transform(cat))) == {0.0, CATEGORY_WEIGHT}


@pytest.mark.parametrize("categorical", ["onehot", "ordinal"])
def test_model_encoder_passes_numbers_through_and_codes_categories(categorical):
    real = _real()
    schema = detect_schema(real, "y")
    enc = make_encoder(schema, categorical).fit(real[schema.features])
    out = enc.transform(pd.DataFrame({"x": [np.nan], "n": [2], "c": ["new"]}))
    assert np.isnan(out[0, 0]) and out[0, 1] == 2  # NaN left to the model
    assert list(out[0, 2:]) == ([0.0, 0.0, 0.0] if categorical == "onehot" else [-1.0])


def test_model_encoder_standardises_for_linear_models():
    real = _real()
    schema = detect_schema(real, "y")
    enc = make_encoder(schema, "onehot", scale=True).fit(real[schema.features])
    out = enc.transform(real[schema.features])
    assert not np.isnan(out).any()
    np.testing.assert_allclose(out[:, :2].mean(axis=0), 0.0, atol=1e-12)
    with pytest.raises(ValueError, match="categorical='onehot' or 'ordinal'"):
        make_encoder(schema, "target")


def test_the_distance_gate_and_coverage_measure_in_this_space(table):
    from sklearn.neighbors import NearestNeighbors

    from augment.evaluate import coverage
    from augment.gates import DistanceGate

    schema = detect_schema(table, "label")
    gate = DistanceGate(quantile=0.0).fit(table, schema)
    assert isinstance(gate.encoder_, DistanceEncoder)
    rows = table.head(10).assign(amount=table["amount"].head(10) + 3.0)
    space = DistanceEncoder(schema, numeric_scale="range").fit(table)  # the near-copy space
    codes, real = space.transform(rows), space.transform(table)
    want = NearestNeighbors(n_neighbors=1).fit(real).kneighbors(codes)[0][:, 0]
    np.testing.assert_allclose(gate.distances(rows), want, atol=1e-6)
    minority = table[table["label"] == "yes"]
    enc = DistanceEncoder(schema).fit(minority)
    radius = NearestNeighbors(n_neighbors=6).fit(enc.transform(minority)).kneighbors(
        enc.transform(minority))[0][:, 5]
    near = NearestNeighbors(n_neighbors=1).fit(enc.transform(rows)).kneighbors(
        enc.transform(minority))[0][:, 0]
    assert coverage(minority, rows, schema, k=5) == pytest.approx(np.mean(near <= radius + 1e-12))


def test_range_scale_divides_by_the_range_and_weighs_a_category_as_one_range():
    real = pd.DataFrame({"x": [0.0, 10.0, 5.0, 2.0], "c": list("abab"), "y": list("uvuv")})
    schema = detect_schema(real, "y")
    enc = DistanceEncoder(schema, numeric_scale="range").fit(real)
    codes = enc.transform(pd.DataFrame({"x": [0.0, 10.0, 0.0], "c": ["a", "a", "b"]}))
    dist = lambda i, j: float(np.linalg.norm(codes[i] - codes[j]))  # noqa: E731
    assert dist(0, 1) == pytest.approx(1.0)  # a full range
    assert dist(0, 2) == pytest.approx(1.0)  # one differing category
    assert enc.category_weight_ == pytest.approx(np.sqrt(0.5))
    with pytest.raises(ValueError, match="numeric_scale"):
        DistanceEncoder(schema, numeric_scale="max").fit(real)
