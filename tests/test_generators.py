import numpy as np
import pandas as pd
import pytest

from augment.data import detect_schema
from augment.errors import ConfigError, GenerationError, InvalidDataError, NotFittedError
from augment.generators import GaussianCopulaGenerator, NoneGenerator, SMOTEGenerator
from augment.profile import find_class_regions

GENERATORS = [
    lambda: GaussianCopulaGenerator(random_state=0),
    lambda: GaussianCopulaGenerator(conditioning="conditions", random_state=0),
    lambda: SMOTEGenerator(k_neighbors=3, random_state=0),
]


def _fit(make, table):
    schema = detect_schema(table, "label")
    region = find_class_regions(table["label"], schema, "auto")[0]
    return make().fit(table, schema, [region]), region


@pytest.mark.parametrize("make", GENERATORS)
def test_sample_shape_target_and_integers(make, table):
    gen, region = _fit(make, table)
    rows = gen.sample(40, region)
    assert len(rows) == 40
    assert list(rows.columns) == list(table.columns)
    assert (rows["label"] == "yes").all()
    counts = rows["count"].to_numpy(dtype=float)
    assert np.all(counts == np.round(counts))
    assert set(rows["grade"].dropna()) <= {"A", "B", "C"}


@pytest.mark.parametrize("make", GENERATORS)
def test_same_seed_same_rows_and_calls_differ(make, table):
    gen_a, region = _fit(make, table)
    gen_b, _ = _fit(make, table)
    first_a, first_b = gen_a.sample(25, region), gen_b.sample(25, region)
    pd.testing.assert_frame_equal(first_a, first_b)
    assert not gen_a.sample(25, region).equals(first_a)


def test_per_class_copula_sees_only_its_class(table):
    gen, region = _fit(lambda: GaussianCopulaGenerator(random_state=0), table)
    rows = gen.sample(400, region)
    minority = table[table.label == "yes"]["amount"]
    # the minority is shifted by +60: per-class rows sit near it, not near the majority
    assert abs(rows["amount"].mean() - minority.mean()) < 15


def test_none_generates_nothing(table):
    gen, region = _fit(lambda: NoneGenerator(), table)
    assert len(gen.sample(10, region)) == 0


def test_sample_before_fit(table):
    schema = detect_schema(table, "label")
    region = find_class_regions(table["label"], schema, "auto")[0]
    with pytest.raises(NotFittedError):
        GaussianCopulaGenerator().sample(3, region)


def test_unseen_class_is_an_error(table):
    gen, region = _fit(lambda: SMOTEGenerator(random_state=0), table)
    other = type(region)(id="class=zzz", target_column="label", label="zzz",
                         description="", count=0, target=5)
    with pytest.raises(GenerationError, match="never saw"):
        gen.sample(3, other)


def test_negative_n(table):
    gen, region = _fit(lambda: SMOTEGenerator(random_state=0), table)
    with pytest.raises(ConfigError):
        gen.sample(-1, region)


def test_class_too_small_for_smote(table):
    small = table.iloc[:63]
    schema = detect_schema(small, "label")
    with pytest.raises(InvalidDataError, match="needs at least 6"):
        SMOTEGenerator(k_neighbors=5).fit(small, schema)


def test_smote_refuses_missing_values(table):
    holes = table.assign(amount=table.amount.where(table.index % 7 > 0))
    schema = detect_schema(holes, "label")
    with pytest.raises(InvalidDataError, match="missing values"):
        SMOTEGenerator().fit(holes, schema)


@pytest.mark.parametrize(("gen", "match"), [
    (GaussianCopulaGenerator(conditioning="magic"), "conditioning"),
    (GaussianCopulaGenerator(default_distribution="cauchy"), "default_distribution"),
    (SMOTEGenerator(k_neighbors=0), "k_neighbors"),
])
def test_bad_params(gen, match):
    assert any(match in p for p in gen.check_params())
