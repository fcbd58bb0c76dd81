"""Gates that keep the real class's shape (issue 12): crafted tables with a known truth."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import AugmentWarning, ConfigError, UnlearnableError
from augment.gates import LabelAgreementGate, RealismGate
from augment.gates._label import match_acceptance
from augment.generators.base import BaseGenerator
from augment.labelers import DecisionTreeLabeler
from augment.pipeline import run_pipeline
from augment.profile import Region, find_class_regions


def _world(n: int, rng, minority_share: float = 0.25) -> pd.DataFrame:
    """Two classes; a subgroup (g = "s") of the minority looks like the majority."""
    y = np.where(rng.random(n) < minority_share, "yes", "no")
    g = np.where(rng.random(n) < 0.2, "s", "t")
    sub = (y == "yes") & (g == "s")
    x = rng.normal(np.where(y == "yes", 2.5, 0.0), 1.0)
    x[sub] = rng.normal(0.0, 1.0, sub.sum())  # the subgroup sits where the majority does
    z = rng.normal(0.5 * x, 1.0)
    return pd.DataFrame({"x": np.round(x, 3), "z": np.round(z, 3), "g": g, "label": y})


class ExactGenerator(BaseGenerator):
    """Samples the true process of :func:`_world`, restricted to the region: the one
    generator whose candidates already look exactly like the real rows."""

    name = "exact"

    def __init__(self, random_state: int | None = None):
        self.random_state = random_state

    def _fit(self, table: pd.DataFrame) -> None:
        pass

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        parts, have = [], 0
        while have < n:
            rows = _world(8 * n + 100, rng)
            rows = rows[region.contains(rows).to_numpy()]
            parts.append(rows)
            have += len(rows)
        return pd.concat(parts, ignore_index=True).head(n)


@pytest.fixture(scope="module")
def world() -> pd.DataFrame:
    return _world(1600, np.random.default_rng(0))


def _run(table, acceptance: str, regions=None, seed: int = 0, **label):
    schema = detect_schema(table, "label")
    classes = find_class_regions(table["label"], schema, {"yes": 3 * int(
        (table["label"] == "yes").sum())})
    gate = LabelAgreementGate(acceptance=acceptance, random_state=seed, **label)
    return run_pipeline(
        table, schema, [*(regions or []), *classes], generator=ExactGenerator(random_state=seed),
        labeler=DecisionTreeLabeler(max_depth=4, random_state=seed), row_gates=[gate],
        batch_gates=[], progress=False, random_state=seed)


def test_gating_an_exact_generator_keeps_its_rows_as_real_as_they_were(world):
    # candidates already follow the real class: match keeps them that way, strict does not
    match = _run(world, "match").distortion[0]
    strict = _run(world, "strict").distortion[0]
    assert match["auc"]["candidates"] < 0.65
    assert match["auc"]["kept"] <= match["auc"]["candidates"] + max(0.02, 2 * match["auc_se"])
    assert match["marginal"]["kept"] >= match["marginal"]["candidates"] - 0.03
    assert not match["findings"]
    # the strict bar selects the surest corner: easier to detect, and it says so
    assert strict["auc"]["kept"] > strict["auc"]["candidates"] + 0.1
    assert any("easier to tell" in f for f in strict["findings"])


def test_a_subgroup_the_strict_bar_erases_survives_match(world):
    schema = detect_schema(world, "label")
    sub = Region(id="class=yes/s", target_column="label", label="yes",
                 description="label == 'yes' and g == 's'",
                 count=int(((world["label"] == "yes") & (world["g"] == "s")).sum()),
                 target=150, categories={"g": {"s"}}, kind="declared")
    strict = _run(world, "strict", regions=[sub])
    match = _run(world, "match", regions=[sub])
    s_strict = next(r for r in strict.regions if r["id"] == sub.id)
    s_match = next(r for r in match.regions if r["id"] == sub.id)
    # the strict bar backs few of the subgroup's rows: it falls far short ...
    assert s_strict["kept"] < 0.5 * s_strict["requested"]
    # ... while match judges the subgroup against its own real rows and fills it
    assert s_match["shortfall"] == 0 and s_match["kept"] == s_match["requested"]
    del schema


def test_an_undeclared_subgroup_keeps_its_share_under_match_with_no_floor(world):
    result = _run(world, "match", floor_quantile=0.0)
    d = result.distortion[0]
    candidates = result.candidates["yes"]
    kept = result.synthetic
    share_c = float((candidates["g"] == "s").mean())
    share_k = float((kept["g"] == "s").mean())
    assert share_c > 0.1
    assert share_k >= 0.5 * share_c, d["thinned_values"]
    strict = _run(world, "strict").synthetic
    assert float((strict["g"] == "s").mean()) < 0.5 * share_c  # what strict did to it


def test_match_acceptance_follows_the_reference_distribution():
    rng = np.random.RandomState(0)
    reference = np.random.default_rng(1).beta(2, 5, 3000)
    # a proposal that over-proposes high values
    p = np.random.default_rng(2).beta(3, 4, 20000)
    prob = match_acceptance(p, reference, 0.0, rng)
    kept = p[rng.random_sample(len(p)) < prob]
    assert len(kept) > 100
    assert ks_2samp(kept, reference).statistic < 0.1
    assert ks_2samp(p, reference).statistic > 0.2
    # drawn like the reference: (nearly) everything is kept
    same = np.random.default_rng(3).beta(2, 5, 5000)
    assert match_acceptance(same, reference, 0.0, rng).mean() > 0.6
    # the floor drops rows below the reference's quantile, and only those
    floored = match_acceptance(same, reference, 0.2, rng)
    assert (floored[same < np.quantile(reference, 0.19)] == 0).all()
    assert (floored[same > np.quantile(reference, 0.21)] > 0).all()


def test_match_needs_a_reference_and_says_how_to_fix(world):
    schema = detect_schema(world, "label")
    gate = LabelAgreementGate(acceptance="match").fit(world, schema)
    labels = DecisionTreeLabeler(max_depth=2).fit(world[schema.features], world["label"],
                                                   schema).label(world)
    labels.attrs["class_reference"] = {}
    with pytest.raises(ConfigError, match="acceptance=strict"):
        gate.check(world.assign(label="yes"), labels)


@pytest.mark.parametrize("params, message", [
    ({"acceptance": "loose"}, "label acceptance must be one of"),
    ({"floor_quantile": 1.0}, "floor_quantile must be in"),
    ({"floor_quantile": True}, "floor_quantile must be in"),
])
def test_bad_label_acceptance_parameters(params, message):
    with pytest.raises(ConfigError, match=message):
        Augmenter(**{"label_acceptance" if k == "acceptance" else k: v
                     for k, v in params.items()})._components()


def test_same_seed_same_kept_rows_under_match(world):
    a = _run(world, "match", seed=3).synthetic
    b = _run(world, "match", seed=3).synthetic
    pd.testing.assert_frame_equal(a, b)


def test_an_unlearnable_class_stops_before_anything_is_generated():
    rng = np.random.default_rng(0)
    n = 400
    noise = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                          "c": rng.choice(["p", "q"], n),
                          "label": rng.choice(["no", "yes"], n, p=[0.8, 0.2])})

    class NeverFit(ExactGenerator):
        def _fit(self, table):
            raise AssertionError("the generator must not be fitted for an unlearnable class")

    start = time.perf_counter()
    with pytest.raises(UnlearnableError, match="label_policy=soft") as err:
        Augmenter(generator=NeverFit(), random_state=0, progress=False).fit_table(noise, "label")
    assert time.perf_counter() - start < 30
    assert "'yes'" in str(err.value) and "ROC-AUC" in str(err.value)
    # the named ways out work
    out = Augmenter(label_policy="intended", random_state=0, progress=False,
                    batch_gates=()).fit_table(noise, "label")
    assert out.result_.synthetic.shape[0] > 0


def test_gate_problems_are_python_warnings_in_the_api(table):
    from augment.gates import MarginalGate

    with pytest.warns(AugmentWarning, match="batch check marginal failed"):
        Augmenter(random_state=0, progress=False, batch_gates=(
            MarginalGate(min_score=1.0),)).fit_table(table, "label")


def test_the_cli_prints_gate_warnings_once(table, tmp_path):
    from augment.cli import summary

    aug = Augmenter(random_state=0, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AugmentWarning)
        aug.fit_table(table, "label")
    text = summary(aug.result_, tmp_path, 1.0)
    assert "VERDICT class=yes: kept rows" in text
    for w in aug.result_.warnings:
        assert text.count(w) == 1


def test_distortion_and_verdicts_reach_the_manifest_and_report(table, tmp_path):
    from augment.report import write_run

    aug = Augmenter(random_state=0, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AugmentWarning)
        aug.fit_table(table, "label")
    import json

    path = write_run(aug.result_, tmp_path / "run", input_info={
        "path": None, "name": "t", "target": "label", "rows": len(table),
        "columns": table.shape[1], "sha256": "0" * 64}, seed=0)
    manifest = json.loads(path.read_text())
    assert manifest["distortion"][0]["region"] == "class=yes"
    assert {"candidates", "kept"} <= set(manifest["distortion"][0]["marginal"])
    assert manifest["verdicts"][0]["verdict"] in (
        "trustworthy", "usable with caution", "not trustworthy")
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## What the gates did" in report and "## Verdict" in report


def test_realism_ratio_acceptance_keeps_real_looking_rows_and_drops_far_ones():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(0, 1, 600), "y": ["a"] * 300 + ["b"] * 300})
    schema = detect_schema(real, "y")
    gate = RealismGate(acceptance="ratio", random_state=0).fit(real, schema)
    rows = pd.DataFrame({"x": np.r_[rng.normal(0, 1, 300), rng.normal(6, 0.5, 100)], "y": "b"})
    keep = gate.check(rows)["keep"].to_numpy()
    assert keep[:300].mean() > 0.3
    assert keep[300:].mean() < 0.05
    assert gate.report_[0]["acceptance"] == "ratio"
    with pytest.raises(ConfigError, match="ratio_quantile"):
        RealismGate(acceptance="ratio", ratio_quantile=0).fit(real, schema)


def test_rejected_rows_carry_a_reason_code_beside_the_text(table):
    aug = Augmenter(random_state=0, progress=False, batch_gates=())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AugmentWarning)
        aug.fit_table(table, "label")
    rejected = aug.rejected_
    assert len(rejected)
    codes = rejected["_reason_code"].astype(str)
    assert (codes == rejected["_reason"].astype(str).str.split(":").str[0]).all()
    # one code per check, however many numbers the texts carry
    assert codes.nunique() <= rejected["_reason"].nunique()
    assert set(codes) <= {"validity", "novelty", "constraints", "distance", "label", "surplus"}


def test_every_stage_the_pipeline_enters_is_announced(table, caplog):
    import logging

    from augment.pipeline import STAGES

    with caplog.at_level(logging.INFO, logger="augment"), warnings.catch_warnings():
        warnings.simplefilter("ignore", AugmentWarning)
        Augmenter(random_state=0, batch_gates=()).fit_table(table, "label")
    said = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stage ")]
    assert said == [f"stage {i}/{len(STAGES)}: {name}" for i, name in enumerate(STAGES, 1)]


def test_match_without_a_recorded_reference_stops_before_generating(world):
    from augment._label_stage import LabelStage

    schema = detect_schema(world, "label")
    classes = find_class_regions(world["label"], schema, "auto")
    stage = LabelStage(DecisionTreeLabeler(max_depth=3), [LabelAgreementGate()]).fit(world, schema)
    stage.check_learnable(classes)  # recorded: fine
    stage.labeler.class_reference_ = {}  # as a labeler stored by an older version
    with pytest.raises(ConfigError, match=r"gate\.acceptance=strict"):
        stage.check_learnable(classes)
    strict = LabelStage(stage.labeler, [LabelAgreementGate(acceptance="strict")])
    strict.schema = schema
    strict.check_learnable(classes)  # the strict bar does not need it


def _coarse_world(n: int, rng) -> pd.DataFrame:
    """Few distinct value combinations: real rows coincide with each other often."""
    y = np.where(rng.random(n) < 0.3, "yes", "no")
    a = np.where(rng.random(n) < np.where(y == "yes", 0.7, 0.3), "p", "q")
    b = rng.poisson(np.where(y == "yes", 3.0, 1.0))
    c = rng.choice(["u", "v", "w"], n, p=[0.6, 0.3, 0.1])
    d = rng.binomial(6, np.where(a == "p", 0.3, 0.6))
    return pd.DataFrame({"a": a, "b": b, "c": c, "d": d, "label": y})


class ExactCoarseGenerator(ExactGenerator):
    name = "exact_coarse"

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        rows = _coarse_world(20 * n + 200, rng)
        return rows[region.contains(rows).to_numpy()].head(n).reset_index(drop=True)


def _coarse_run(table, novelty):
    from augment.gates import DistanceGate, ValidityGate

    schema = detect_schema(table, "label")
    classes = find_class_regions(table["label"], schema, {"yes": 2 * int(
        (table["label"] == "yes").sum())})
    gates = [ValidityGate(), novelty, DistanceGate(random_state=0)]
    return run_pipeline(table, schema, classes, generator=ExactCoarseGenerator(random_state=0),
                        labeler=DecisionTreeLabeler(max_depth=3, random_state=0),
                        row_gates=gates, batch_gates=[], progress=False, random_state=0)


def _copy_share(rows: pd.DataFrame, real: pd.DataFrame) -> float:
    cols = ["a", "b", "c", "d"]
    seen = set(map(tuple, real[cols].astype(str).to_numpy()))
    return float(np.mean([tuple(r) in seen for r in rows[cols].astype(str).to_numpy()]))


def test_copies_of_shared_values_are_kept_at_the_rate_real_rows_share_them():
    from augment.gates import NoveltyGate

    real = _coarse_world(1500, np.random.default_rng(1))
    unseen = _coarse_world(1500, np.random.default_rng(2))
    unseen_yes = unseen[unseen["label"] == "yes"]
    real_rate = _copy_share(unseen_yes, real)  # how often an unseen real row copies one
    assert real_rate > 0.5  # the premise: this table's real rows coincide a lot
    res = _coarse_run(real, NoveltyGate(random_state=0))
    kept = res.synthetic[res.synthetic["label"] == "yes"]
    assert abs(_copy_share(kept, real) - real_rate) < 0.1
    d = res.distortion[0]
    assert d["auc"]["kept"] <= d["auc"]["candidates"] + max(0.03, 2 * d["auc_se"])
    assert not d["findings"]
    # rejecting every copy carves the commonest combinations out: easier to detect
    strict = _coarse_run(real, NoveltyGate(min_shared=None, random_state=0))
    kept = strict.synthetic[strict.synthetic["label"] == "yes"]
    assert _copy_share(kept, real) == 0.0
    s = strict.distortion[0]
    assert s["auc"]["kept"] > s["auc"]["candidates"] + 0.1


def test_novelty_copies_of_one_record_are_rejected_and_min_shared_is_checked(table):
    from augment.gates import NoveltyGate

    schema = detect_schema(table, "label")
    doubled = pd.concat([table, table.iloc[[3]]], ignore_index=True)  # row 3 held twice
    gate = NoveltyGate(random_state=0).fit(doubled, schema)
    rows = table.iloc[[3, 4]].reset_index(drop=True)  # copies: shared (x2) and single
    out = gate.check(rows)
    assert out.at[1, "reason"] == "novelty: exact copy of a real row"
    assert sum(r["shared_copies"] for r in gate.report_) == 1
    # no real row of the class shares its values with two others: the rate is 0
    assert not out.at[0, "keep"] and "beyond the rate" in out.at[0, "reason"]
    assert not NoveltyGate(min_shared=None).fit(doubled, schema).check(rows)["keep"].any()
    with pytest.raises(ConfigError, match="min_shared"):
        Augmenter(row_gates=(NoveltyGate(min_shared=0),)).fit_resample(
            table.drop(columns="label"), table["label"])


def _distortion_rows():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"x": rng.normal(size=400), "z": rng.normal(size=400),
                         "c": rng.choice(list("abc"), 400), "y": "p"})
    candidates = pd.DataFrame({"x": rng.normal(0.3, 1.2, 600), "z": rng.normal(size=600),
                               "c": rng.choice(list("abc"), 600, p=[0.6, 0.3, 0.1]), "y": "p"})
    return real, candidates, detect_schema(pd.concat([real, real.assign(y="q")]), "y")


def test_measure_distortion_names_what_a_selecting_gate_did():
    from augment.gates._distortion import measure_distortion

    real, candidates, schema = _distortion_rows()
    corner = measure_distortion(real, candidates, candidates[candidates["x"] > 0.5], schema,
                                "r", random_state=3)
    assert corner["auc"]["kept"] > corner["auc"]["candidates"] + 0.1
    assert corner["marginal"]["kept"] < min(corner["marginal_null"])
    assert next(iter(corner["most_distorted_columns"])) == "x"
    assert [f.split(":")[1].split("(")[0].strip() for f in corner["findings"]] == [
        "gating made the rows easier to tell from real ones",
        "gating lowered marginal similarity 0.815 -> 0.636"]
    uniform = measure_distortion(real, candidates, candidates.iloc[:300], schema, "r",
                                 random_state=3)
    assert uniform["findings"] == [] and uniform["rows_per_side"] == 300
    few = measure_distortion(real, candidates, candidates.iloc[:30], schema, "r", random_state=3)
    assert few["auc"] is None and "the two-sample AUC needs 50" in few["auc_note"]
    none = measure_distortion(real, candidates, candidates.iloc[:0], schema, "r", random_state=3)
    assert "skipped" in none
    assert none["findings"] == ["r: the gates kept none of 600 sampled candidate rows"]


def test_a_value_the_real_rows_lack_is_corrected_not_thinned():
    # candidates mix in "d", a value no real row of the region has; gates that drop it
    # correct the rows towards the real ones; dropping "c", which real rows hold, thins
    from augment.gates._distortion import measure_distortion

    rng = np.random.default_rng(1)
    real = pd.DataFrame({"x": rng.normal(size=400), "c": rng.choice(list("abc"), 400),
                         "y": "p"})
    candidates = pd.DataFrame({"x": rng.normal(size=600),
                               "c": rng.choice(list("abcd"), 600), "y": "p"})
    schema = detect_schema(pd.concat([real, candidates.assign(y="q")]), "y")
    corrected = measure_distortion(real, candidates, candidates[candidates["c"] != "d"],
                                   schema, "r", random_state=0)
    assert corrected["thinned_values"] == {}
    assert not any("thinned" in f for f in corrected["findings"])
    cut = measure_distortion(real, candidates, candidates[candidates["c"] != "c"], schema,
                             "r", random_state=0)
    assert list(cut["thinned_values"]) == ["c = c"]
    assert cut["thinned_values"]["c = c"]["real"] > 0.25
    assert any("gating thinned c = c" in f and "of real rows" in f for f in cut["findings"])
