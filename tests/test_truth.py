"""Known-truth measures: teacher relabelling, label noise, Naeem coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.evaluate import coverage, label_noise, teacher_relabel


def _binary(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.normal(size=n)
    color = rng.choice(["red", "blue", "green"], size=n)
    y = np.where(x + 0.5 * z + rng.normal(scale=0.5, size=n) > 1.2, "bad", "good")
    return pd.DataFrame({"x": x, "z": z, "color": color, "y": y})


def test_teacher_keeps_minority_share_and_is_a_function_of_features():
    df = _binary()
    before = df["y"].value_counts()
    relabelled, teacher = teacher_relabel(df, "y", random_state=0)
    after = relabelled["y"].value_counts()
    assert abs(after["bad"] - before["bad"]) <= 2
    assert df["y"].tolist() == _binary()["y"].tolist()  # input untouched
    # the teacher's decision on the table is the relabelled target; extra columns are ignored
    assert (teacher(relabelled.assign(extra=1)) == relabelled["y"].to_numpy(dtype=object)).all()
    # strong model: mostly agrees with the original labels
    assert (relabelled["y"] == df["y"]).mean() > 0.85


def test_teacher_multiclass_keeps_class_shares():
    rng = np.random.default_rng(1)
    n = 600
    x = rng.normal(size=(n, 2))
    y = np.select([x[:, 0] > 1.0, x[:, 1] > 0.8], ["rare", "mid"], "common")
    df = pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "y": y})
    relabelled, teacher = teacher_relabel(df, "y", random_state=0)
    before, after = df["y"].value_counts(), relabelled["y"].value_counts()
    for cls in before.index:
        assert abs(after[cls] - before[cls]) <= 3
    assert teacher.order[0] == "rare" and teacher.order[-1] == "common"


def test_label_noise_zero_and_one():
    df = _binary()
    relabelled, teacher = teacher_relabel(df, "y", random_state=0)
    assert label_noise(relabelled, teacher, "y") == 0.0
    flipped = relabelled.assign(y=np.where(relabelled["y"] == "bad", "good", "bad"))
    assert label_noise(flipped, teacher, "y") == 1.0
    half = pd.concat([relabelled.head(10), flipped.head(10)])
    assert label_noise(half, teacher, "y") == 0.5
    assert np.isnan(label_noise(relabelled.head(0), teacher, "y"))


def test_label_noise_with_constant_teacher():
    rows = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1, 1, 0, 0]})
    assert label_noise(rows, lambda r: np.ones(len(r), dtype=int), "y") == 0.5


def _grid() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame({"x": rng.normal(size=40), "z": rng.normal(size=40) * 100,
                         "color": rng.choice(["a", "b"], size=40), "y": "bad"})


def test_coverage_one_when_synthetic_rows_sit_on_real_ones():
    real = _grid()
    schema = detect_schema(pd.concat([real, real.assign(y="good")]), "y")
    assert coverage(real, real.copy(), schema, k=5) == 1.0


def test_coverage_zero_when_synthetic_rows_are_far_away():
    real = _grid()
    schema = detect_schema(pd.concat([real, real.assign(y="good")]), "y")
    far = real.assign(x=real["x"] + 1000.0)
    assert coverage(real, far, schema, k=5) == 0.0
    assert coverage(real, real.head(0), schema, k=5) == 0.0


def test_coverage_partial_and_scale_free():
    real = _grid()
    schema = detect_schema(pd.concat([real, real.assign(y="good")]), "y")
    half = real.iloc[::2]
    value = coverage(real, half, schema, k=5)
    assert 0.5 <= value < 1.0
    # z-scoring: multiplying a column by 1000 changes nothing
    scaled = real.assign(z=real["z"] * 1000)
    assert coverage(scaled, half.assign(z=half["z"] * 1000), schema, k=5) == value
    # a category the real rows never show moves the point one-hot away
    assert coverage(real, real.assign(color="c", x=real["x"] + 3), schema, k=5) < value


def test_coverage_needs_more_than_k_rows():
    real = _grid().head(5)
    schema = detect_schema(pd.concat([_grid(), _grid().assign(y="good")]), "y")
    with pytest.raises(ValueError, match="more than k=5"):
        coverage(real, real, schema, k=5)
