import numpy as np
import pandas as pd
import pytest

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError
from augment.generators import GaussianCopulaGenerator, SMOTEGenerator
from augment.profile import SparseRegionFinder, find_class_regions


def _pocket_table(seed=0):
    """Minority class with a dense core and a thin pocket far away, plus a rare combination."""
    rng = np.random.default_rng(seed)
    major = pd.DataFrame({"x": rng.normal(0, 1, 400), "z": rng.normal(0, 1, 400),
                          "c": rng.choice(["a", "b"], 400), "d": rng.choice(["p", "q"], 400),
                          "y": "maj"})
    core = pd.DataFrame({"x": rng.normal(4, 0.3, 90), "z": rng.normal(0, 0.3, 90),
                         "c": rng.choice(["a", "b"], 90), "d": "p", "y": "min"})
    pocket = pd.DataFrame({"x": rng.normal(8, 1.5, 15), "z": rng.normal(6, 1.5, 15),
                           "c": "a", "d": "q", "y": "min"})
    return pd.concat([major, core, pocket], ignore_index=True)


def _find(df, random_state=0, **params):
    schema = detect_schema(df, "y")
    classes = find_class_regions(df["y"], schema, "auto")
    finder = SparseRegionFinder(random_state=random_state, **params)
    return classes, finder.find(df, schema, classes)


def test_finds_the_thin_pocket_with_a_rule_that_works_on_new_rows():
    df = _pocket_table()
    _, regions = _find(df)
    assert regions, "no region found"
    pocket = df.index >= 490
    best = max(regions, key=lambda r: (r.contains(df).to_numpy() & pocket).sum())
    inside = best.contains(df).to_numpy()
    assert (inside & pocket).sum() >= 10  # it is the pocket
    assert inside.sum() == best.count
    assert best.description.startswith("y == 'min' and ")
    new_row = pd.DataFrame({"x": [8.0], "z": [6.0], "c": ["a"], "d": ["q"], "y": ["min"]})
    assert best.contains(new_row).iloc[0]


def test_targets_grow_faster_than_the_class_and_respect_the_cap():
    df = _pocket_table()
    (parent,), regions = _find(df, growth=1.0, cap=0.3)
    ratio = parent.target / parent.count
    added = sum(r.target - r.count for r in regions)
    assert added <= 0.3 * parent.needed
    for r in regions:
        assert r.label == "min" and r.target > r.count
        assert r.target - r.count <= np.ceil(r.count * ratio * 2)


def test_rare_combination():
    df = _pocket_table()
    _, regions = _find(df, methods=("rare_combination",), max_share=0.2)
    assert regions and all(r.kind == "rare_combination" for r in regions)
    assert all(len(r.categories) == 2 for r in regions)


def test_classes_only_and_determinism():
    df = _pocket_table()
    assert _find(df, max_regions_per_class=0)[1] == []
    assert _find(df)[1] == _find(df)[1]


@pytest.mark.parametrize(("params", "match"), [
    ({"methods": ("magic",)}, "methods"), ({"cap": 0}, "cap"), ({"growth": -1}, "growth"),
    ({"min_rows": 0}, "min_rows"),
])
def test_bad_params(params, match):
    df = _pocket_table()
    with pytest.raises(ConfigError, match=match):
        _find(df, **params)


@pytest.mark.parametrize("generator", [GaussianCopulaGenerator(), SMOTEGenerator(k_neighbors=3)])
def test_generators_aim_inside_sub_regions(generator):
    df = _pocket_table()
    classes, regions = _find(df)
    schema = detect_schema(df, "y")
    gen = generator.set_params(random_state=0).fit(df, schema, [*regions, *classes])
    for region in regions:
        rows = gen.sample(100, region)
        assert region.contains(rows).mean() >= 0.8, region.description


def test_augmenter_fills_sub_regions_and_reports_coverage():
    df = _pocket_table()
    aug = Augmenter(random_state=0, progress=False, min_confidence=0.5, batch_gates=())
    res = aug.fit_table(df, "y").result_
    subs = [r for r in res.regions if r["kind"] != "class"]
    assert subs and res.regions[-1]["id"] == "class=min"
    syn = res.synthetic
    assert (syn["y"] == "min").sum() == 400 - 105  # sub-region rows count towards the class
    for stats in subs:
        assert stats["after"] >= stats["count"]
        rows = syn[syn["_region"] == stats["id"]]
        assert len(rows) == stats["kept"]
    assert all(r["after"] > r["count"] for r in subs)


def test_classes_only_profile():
    df = _pocket_table()
    res = Augmenter(random_state=0, progress=False, profile=None, min_confidence=0.5,
                    batch_gates=()).fit_table(df, "y").result_
    assert [r["id"] for r in res.regions] == ["class=min"]


def test_large_tables_are_profiled_on_a_sample_but_counted_on_every_row():
    df = pd.concat([_pocket_table(seed) for seed in range(4)], ignore_index=True)  # 2,020 rows
    _, sampled = _find(df, max_rows=700)
    _, again = _find(df, max_rows=700)
    assert sampled, "no region found on the sample"
    assert [r.description for r in sampled] == [r.description for r in again]
    for region in sampled:
        assert region.count == int(region.contains(df).sum())  # counted on the whole table
    pocket = np.concatenate([np.arange(490, 505) + 505 * k for k in range(4)])
    best = max(sampled, key=lambda r: r.contains(df.iloc[pocket]).sum())
    assert best.contains(df.iloc[pocket]).sum() >= 40  # the pocket is still found


def test_the_profilers_seed_reaches_its_trees():
    # with exact copies of the columns, a region's split is a tie between a column and its
    # copy; the finder's random_state breaks it (not a fixed seed 0): the same seed gives
    # the same regions, other seeds may name the copy
    df = _pocket_table()
    df["x_copy"], df["z_copy"] = df["x"], df["z"]
    described = {seed: [r.description for r in _find(df, seed)[1]] for seed in range(4)}
    assert [r.description for r in _find(df, 0)[1]] == described[0]
    assert len({tuple(d) for d in described.values()}) > 1
