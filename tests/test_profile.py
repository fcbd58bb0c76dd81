import pandas as pd
import pytest
from imblearn.over_sampling import RandomOverSampler

from augment.data import detect_schema
from augment.errors import ConfigError
from augment.profile import find_class_regions, resolve_sampling_strategy

Y = pd.Series(["a"] * 50 + ["b"] * 20 + ["c"] * 12)


@pytest.mark.parametrize("strategy", ["auto", "minority", "not minority", "not majority", "all",
                                      {"b": 30, "c": 40}])
def test_strategy_means_what_imblearn_means(strategy):
    X = pd.DataFrame({"x": range(len(Y))})
    _, y_res = RandomOverSampler(sampling_strategy=strategy, random_state=0).fit_resample(X, Y)
    added = (y_res.value_counts() - Y.value_counts()).to_dict()
    expected = {k: int(v) for k, v in added.items() if v > 0}
    assert resolve_sampling_strategy(Y, strategy) == expected


def test_float_strategy_binary():
    y = pd.Series(["a"] * 80 + ["b"] * 20)
    assert resolve_sampling_strategy(y, 0.5) == {"b": 20}


@pytest.mark.parametrize(("strategy", "match"), [
    ("most", "one of"), (1.5, r"\(0, 1\]"), (0.0, r"\(0, 1\]"), ({"zzz": 10}, "unknown classes"),
    ({"b": 5}, "Invalid sampling_strategy"),
])
def test_bad_strategies(strategy, match):
    with pytest.raises(ConfigError, match=match):
        resolve_sampling_strategy(Y, strategy)


def test_float_on_multiclass_is_refused():
    with pytest.raises(ConfigError):
        resolve_sampling_strategy(Y, 0.5)


def test_class_regions(multiclass):
    schema = detect_schema(multiclass, "label")
    regions = find_class_regions(multiclass["label"], schema, "auto")
    assert [(r.id, r.count, r.target, r.needed) for r in regions] == [
        ("class=b", 20, 50, 30), ("class=c", 12, 50, 38)]
    assert regions[0].contains(multiclass).sum() == 20
    assert regions[0].description == "label == 'b'"


def test_region_with_categories_and_ranges(table):
    from augment.profile import Region

    region = Region(id="r", target_column="label", label="yes", description="", count=0,
                    target=0, categories={"grade": ["C"]}, ranges={"amount": (150.0, None)})
    expected = (table.label == "yes") & (table.grade == "C") & (table.amount >= 150)
    assert region.contains(table).tolist() == expected.tolist()
    text = Region.describe("label", "yes", {"grade": ["B", "C"]}, {"amount": (None, 30000)})
    assert text == "label == 'yes' and grade in {'B', 'C'} and amount < 30000"
