"""Declared regions: the rule grammar, validation, the pipeline and the per-region evaluation."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_table

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError
from augment.evaluate import Evaluation
from augment.evaluate._regions import region_metrics, worst_region
from augment.profile import (
    Region,
    RuleSyntaxError,
    SparseRegionFinder,
    declare_regions,
    find_class_regions,
    parse_rule,
)
from augment.profile._declared import rule_membership
from augment.profile._rule import Condition, format_name, format_value


# -- grammar --------------------------------------------------------------------------------
@pytest.mark.parametrize(("rule", "expected"), [
    ("sex == 'Female'", [("sex", "==", ("Female",))]),
    ('sex == "Female" and age >= 40', [("sex", "==", ("Female",)), ("age", ">=", (40,))]),
    ("40 <= age", [("age", ">=", (40,))]),
    ("3 <= age < 40.5", [("age", ">=", (3,)), ("age", "<", (40.5,))]),
    ("grade in {'A', 'B',}", [("grade", "in", ("A", "B"))]),
    ("grade not in ['A']", [("grade", "not in", ("A",))]),
    ("flag == True AND x != -1.5e3", [("flag", "==", (True,)), ("x", "!=", (-1500.0,))]),
    ("`my col` == 'it\\'s'", [("my col", "==", ("it's",))]),
    ("Sepal.Length > 5", [("Sepal.Length", ">", (5,))]),
    ("n in (1, 2, 3)", [("n", "in", (1, 2, 3))]),
    ("`a``b` == false", [("a`b", "==", (False,))]),
    ("x >= -2 and y NOT IN {'a'}", [("x", ">=", (-2,)), ("y", "not in", ("a",))]),
])
def test_good_rules_parse(rule, expected):
    assert parse_rule(rule) == [Condition(*e) for e in expected]


@pytest.mark.parametrize(("rule", "match"), [
    ("", "empty rule"),
    ("sex = 'F'", "single '=' is not an operator"),
    ("sex == Female", r"quote text values: sex == 'Female'"),
    ("age >=", "expected a column name or a value"),
    ("age >= 40 or sex == 'F'", "'or' is not supported"),
    ("age >= 40 sex == 'F'", "'and' or the end of the rule"),
    ("grade in {}", "at least one value"),
    ("grade in {'A' 'B'}", r"expected ',' or '}'"),
    ("grade in 'A'", "a set of values"),
    ("'A' in {'A'}", "a column name before 'in'"),
    ("3 < 4", "a column name on one side"),
    ("sex == 'F", "a closing '"),
    ("age >= 40 && x < 1", "'and' to join"),
    ("age >= 40 and", "a column name or a value"),
    ("grade not {'A'}", "'in' after 'not'"),
    ("age ! 3", "a column name, a quoted value"),
    ("`my col == 3", "a closing ` for the column name"),
    ("x - 1 == 3", "position 2 expected a column name, a quoted value"),  # a sign after a name
])
def test_bad_rules_raise_with_position(rule, match):
    with pytest.raises(RuleSyntaxError, match=match):
        parse_rule(rule)


def test_rule_must_be_text():
    with pytest.raises(RuleSyntaxError, match="Expected a region rule as text"):
        parse_rule(3)


@pytest.mark.parametrize("name", ["age", "my col", "and", "x-y", "in", "Sepal.Length", "a`b"])
@pytest.mark.parametrize("value", ["F", "it's", "a\\b", 3, -2.5, 30000.0, True, np.int64(7)])
def test_names_and_values_format_back_to_themselves(name, value):
    (cond,) = parse_rule(f"{format_name(name)} == {format_value(value)}")
    assert cond.column == name and cond.values[0] == value


# -- from a rule to a region ----------------------------------------------------------------
@pytest.fixture
def table_nan():
    table = make_table(80, 30)
    table.loc[::9, "grade"] = np.nan
    return table


def _membership(rule, table, label=None):
    schema = detect_schema(table, "label")
    return rule_membership(parse_rule(rule), schema, label)


@pytest.mark.parametrize(("rule", "categories", "ranges"), [
    ("grade == 'C'", {"grade": ["C"]}, {}),
    ("grade != 'C'", {"grade": ["A", "B"]}, {}),
    ("grade not in {'A', 'B'} and grade in {'B', 'C'}", {"grade": ["C"]}, {}),
    ("count <= 3", {}, {"count": (None, 4.0)}),
    ("count > 3 and count < 6", {}, {"count": (4.0, 6)}),
    ("count == 5", {}, {"count": (5.0, 6.0)}),
    ("count in {4, 5, 6}", {}, {"count": (4.0, 7.0)}),
    ("amount >= 120 and 100 <= amount", {}, {"amount": (120, None)}),
    ("flag == True", {"flag": ["True"]}, {}),
    ("grade == '<missing>'", {"grade": ["<missing>"]}, {}),
])
def test_rule_membership(table_nan, rule, categories, ranges):
    label, got_categories, got_ranges, problems = _membership(rule, table_nan)
    assert problems == [] and label is None
    assert got_categories == categories and got_ranges == ranges


def test_float_less_or_equal_keeps_the_value(table_nan):
    value = float(table_nan["amount"].iloc[0])
    _, _, ranges, _ = _membership(f"amount <= {format_value(value)}", table_nan)
    region = Region("r", "label", "no", "", 0, 0, ranges=ranges)
    assert region.where(table_nan.iloc[[0]]).all()


@pytest.mark.parametrize(("rule", "match"), [
    ("amount != 3", "'!=' on numeric column 'amount' is not a range"),
    ("count in {1, 3}", "consecutive integers"),
    ("amount == 'high'", "compares numeric column 'amount' with 'high'"),
    ("grade < 'C'", "'<' on categorical column 'grade'"),
    ("grade == 'Z'", r"value\(s\) \['Z'\] not found in column 'grade'"),
    ("grad == 'A'", "unknown column 'grad'. Did you mean 'grade'"),
    ("amount >= 200 and amount < 100", "contradictory rule: no value of 'amount'"),
    ("grade == 'A' and grade == 'B'", "contradictory rule: no value of 'grade'"),
    ("label == 'maybe' and grade == 'A'", "class 'maybe' is not in target 'label'"),
    ("label != 'no' and grade == 'A'", "the target 'label' takes one class"),
    ("label == 'yes'", "narrows no feature column"),
])
def test_rule_membership_problems(table_nan, rule, match):
    problems = _membership(rule, table_nan)[3]
    assert len(problems) == 1
    assert re.search(match, problems[0]), problems


def test_a_carried_column_is_named_as_such(table):
    with_id = table.assign(code=[f"id{i:04d}" for i in range(len(table))])
    problems = _membership("code == 'id0001'", with_id)[3]
    assert problems[0].startswith("column 'code' is carried through, not generated (a likely "
                                  "identifier)")


def test_target_in_rule_names_the_class(table_nan):
    label, *_ = _membership("label == 'yes' and grade == 'C'", table_nan)
    assert label == "yes"
    problems = _membership("label == 'yes' and grade == 'C'", table_nan, label="no")[3]
    assert "the rule names class 'yes' but the entry names class 'no'" in problems[0]


# -- declared regions: validation -----------------------------------------------------------
def _declare(entries, table, strategy="auto"):
    schema = detect_schema(table, "label")
    classes = find_class_regions(table["label"], schema, strategy)
    return declare_regions(entries, table, schema, classes)


def test_every_problem_is_listed_once(table):
    entries = [
        {"rule": "grad == 'A'"},
        {"rule": "grade == 'Z'", "class": "yes"},
        {"rule": "amount > 500", "class": "yes"},
        {"rule": "amount >= 200 and amount < 100"},
        {"rule": "grade == 'C'", "class": "maybe"},
        {"rule": "grade == 'C'", "rows": 0},
        {"rule": "grade == 'C'", "factor": 0.5},
        {"rule": "grade == 'C'", "rows": 5, "factor": 2.0},
        {"rule": "grade = 'C'", "size": 3},
        {"rule": "grade == 'C'", "class": False},
    ]
    with pytest.raises(ConfigError) as info:
        _declare(entries, table)
    message = str(info.value)
    for part in ["regions[0] (\"grad == 'A'\"): unknown column 'grad'",
                 "regions[1] (\"grade == 'Z'\"): value(s) ['Z'] not found",
                 "regions[2] ('amount > 500'): no real row of class 'yes' is inside it",
                 "regions[3] ('amount >= 200 and amount < 100'): contradictory rule",
                 "regions[4] (\"grade == 'C'\"): class 'maybe' is not in target 'label'",
                 "regions[5] rows (synthetic rows to add) must be an integer >= 1; got 0",
                 "regions[6] factor (rows after / real rows) must be a number > 1; got 0.5",
                 "regions[7] gives both rows (5) and factor (2.0)",
                 "regions[8] has unknown keys ['size']",
                 "single '=' is not an operator",
                 "regions[9] (\"grade == 'C'\"): class False is not in target 'label' (classes "
                 "['no', 'yes']) (YAML reads yes/no/on/off as booleans: quote the class"]:
        assert part in message, part
    assert message.startswith("Invalid declared regions:\n")


@pytest.mark.parametrize(("entries", "match"), [
    ("grade == 'C'", "regions must be a list"),
    ([3], r"regions\[0\] must be a rule text or a mapping"),
    ([{"rule": "grade == 'C'", "rows": 2.5}], "must be an integer >= 1"),
])
def test_augmenter_checks_regions_before_data(entries, match):
    with pytest.raises(ConfigError, match=match):
        Augmenter(regions=entries)._components()


def test_targets_and_default_class(table):
    declared, classes = _declare(["grade == 'C'", {"rule": "grade == 'C'", "rows": 7},
                                  {"rule": "grade == 'C' and count >= 5", "factor": 1.5}], table)
    count = int(((table.label == "yes") & (table.grade == "C")).sum())
    assert [r.label for r in declared] == ["yes"] * 3  # the one class being grown
    assert [r.kind for r in declared] == ["declared"] * 3
    assert declared[0].id == "class=yes/declared-0"
    ratio = classes[0].target / classes[0].count
    assert declared[0].target == int(np.ceil(count * ratio * 2))
    assert declared[1].target == count + 7
    assert declared[2].target == int(np.ceil(declared[2].count * 1.5))
    assert declared[0].description == "label == 'yes' and grade == 'C'"


def test_several_grown_classes_need_a_class(multiclass):
    schema = detect_schema(multiclass, "label")
    classes = find_class_regions(multiclass["label"], schema, "auto")
    with pytest.raises(ConfigError, match="name its class"):
        declare_regions(["cat == 'p'"], multiclass, schema, classes)
    declared, _ = declare_regions([{"rule": "cat == 'p'", "class": "c"}], multiclass, schema,
                                  classes)
    assert declared[0].label == "c"


# -- discovered regions speak the same language ---------------------------------------------
def test_discovered_descriptions_parse_back_to_the_same_rows():
    rng = np.random.default_rng(3)
    table = make_table(200, 80, seed=2).rename(columns={"amount": "loan amount", "count": "in"})
    table["ratio"] = rng.normal(0, 1, len(table)) / 7.3
    table.loc[::13, "grade"] = np.nan
    schema = detect_schema(table, "label")
    classes = find_class_regions(table["label"], schema, "auto")
    found = SparseRegionFinder(min_rows=5, max_regions_per_class=6, random_state=0).find(
        table, schema, classes)
    assert found
    for region in found:
        label, categories, ranges, problems = rule_membership(
            parse_rule(region.description), schema)
        assert problems == [] and label == region.label, region.description
        again = Region("again", "label", label, "", 0, 0, categories=categories, ranges=ranges)
        assert again.contains(table).equals(region.contains(table)), region.description


# -- the pipeline ---------------------------------------------------------------------------
def test_declared_region_is_filled_first_and_reported(table, tmp_path):
    from augment.report import write_run

    aug = Augmenter(random_state=0, progress=False, min_confidence=0.5, batch_gates=(),
                    regions=[{"rule": "grade == 'C' and count >= 5", "rows": 12}])
    aug.fit_table(table, "label")
    regions = aug.result_.regions
    assert regions[0]["id"] == "class=yes/declared-0" and regions[0]["kind"] == "declared"
    assert regions[0]["kept_for_target"] == 12
    synthetic = aug.result_.synthetic
    mine = synthetic[synthetic["_region"] == "class=yes/declared-0"]
    assert len(mine) == 12 and (mine.grade == "C").all() and (mine["count"] >= 5).all()
    write_run(aug.result_, tmp_path, input_info={"path": None, "name": "tiny", "rows": len(table),
                                                 "target": "label", "sha256": "0" * 64},
              seed=0, config={})
    report = (tmp_path / "report.md").read_text()
    assert "| class=yes/declared-0 | `label == 'yes' and grade == 'C' and count >= 5` |" in report


def test_a_class_not_grown_gets_only_its_declared_rows(table):
    aug = Augmenter(random_state=0, progress=False, min_confidence=0.5, batch_gates=(),
                    profile=None, sampling_strategy={"yes": 20},
                    regions=[{"rule": "grade == 'A'", "class": "no", "rows": 6}])
    aug.fit_table(table, "label")
    by_id = {r["id"]: r for r in aug.result_.regions}
    assert by_id["class=no/declared-0"]["kept_for_target"] == 6
    assert by_id["class=no"]["requested"] == 0
    assert (aug.result_.synthetic["label"] == "no").sum() == 6


# -- evaluation per region ------------------------------------------------------------------
def test_region_metrics_by_hand():
    test = pd.DataFrame({"g": ["a", "a", "a", "a", "b", "b"],
                         "y": ["yes", "yes", "no", "no", "yes", "no"]})
    proba_yes = np.array([0.9, 0.3, 0.6, 0.1, 0.8, 0.2])
    proba = np.column_stack([1 - proba_yes, proba_yes])
    pred = np.where(proba_yes >= 0.5, "yes", "no").astype(object)
    region = Region("r", "y", "yes", "", 0, 0, categories={"g": ["a"]}, kind="declared")
    only_b = Region("b", "y", "yes", "", 0, 0, categories={"g": ["b"]}, kind="declared")
    out = region_metrics(test, "y", proba, pred, ["no", "yes"], [region, only_b])
    # inside g == 'a': positives at 0.9, 0.3; negatives at 0.6, 0.1 -> AP = (1 + 2/3) / 2
    assert out["r"] == {"test_rows": 4, "positives": 2, "pr_auc": pytest.approx(5 / 6, abs=1e-6),
                        "recall": 0.5, "precision": 0.5, "f1": 0.5}
    assert out["b"]["recall"] == 1.0
    worst = worst_region(out)
    assert worst["worst_region_recall"] == 0.5 and worst["worst_region_recall_id"] == "r"


def test_evaluation_reports_regions_and_survives_missing_values(table):
    big = pd.concat([table, table.assign(amount=table.amount + 0.5)], ignore_index=True)
    big.loc[::6, "amount"] = np.nan
    ev = Evaluation(models=("logistic",), random_state=0)  # every baseline
    train, test = ev.split(big, "label")
    aug = Augmenter(random_state=0, progress=False, min_confidence=0.5, batch_gates=(),
                    profile=None, regions=[{"rule": "grade == 'C'", "rows": 10}])
    aug.fit_table(train, "label")
    out = ev.evaluate(train, test, aug.schema_, aug.result_.augmented, "auto",
                      regions=aug.regions_)
    assert out["skipped"] == {}
    assert {r["pathway"] for r in out["results"]} == {"augment", *Evaluation().baselines}
    assert "missing values imputed in ['amount']" in out["notes"]["smote"][0]
    assert [r["id"] for r in out["regions"]] == ["class=yes/declared-0"]
    for result in out["results"]:
        metrics = result["regions"]["class=yes/declared-0"]
        assert metrics["test_rows"] == int((test.grade == "C").sum())
        assert 0 <= metrics["pr_auc"] <= 1 and result["worst_region_pr_auc"] == metrics["pr_auc"]
    assert train["amount"].isna().any()  # the user's rows are never filled in


def test_threshold_baseline_is_skipped_on_multiclass_with_its_reason(multiclass):
    ev = Evaluation(models=("logistic",), baselines=("none", "threshold"), random_state=0)
    train, test = ev.split(multiclass, "label")
    schema = detect_schema(train, "label")
    frame = train.assign(_synthetic=False, _weight=1.0)
    out = ev.evaluate(train, test, schema, frame, "auto")
    assert out["skipped"] == {"threshold": "a tuned decision threshold needs a binary target; "
                                           "this one has 3 classes"}
    assert {r["pathway"] for r in out["results"]} == {"augment", "none"}


# -- the CLI --------------------------------------------------------------------------------
def test_cli_declared_region_reaches_report_and_metrics(table, tmp_path):
    path = tmp_path / "tiny.csv"
    pd.concat([table, table.assign(amount=table.amount + 0.5)]).to_csv(path, index=False)
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [sys.executable, "-m", "augment", "progress=false", f"data.path={path}",
         "data.target=label", "gate.min_confidence=0.5", "profile=classes",
         "regions=[{rule:\"grade == 'C' and count >= 5\",class:yes,rows:8}]",
         "evaluate=default", "evaluate.models=[logistic]",
         "evaluate.baselines=[none,class_weights]", f"hydra.run.dir={run_dir}"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["regions"][0]["kind"] == "declared"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert [r["id"] for r in metrics["regions"]] == ["class=yes/declared-0"]
    assert all("class=yes/declared-0" in r["regions"] for r in metrics["results"])
    report = (run_dir / "report.md").read_text()
    assert "class=yes/declared-0" in report and "## Held-out rows per region" in report


def test_cli_bad_region_rule_fails_before_reading_data(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "augment", "progress=false", "data.path=/no/such.csv",
         "data.target=y", "regions=[\"grade = 'C'\"]", f"hydra.run.dir={tmp_path}"],
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2
    assert "single '=' is not an operator" in proc.stderr
    assert not (tmp_path / "manifest.json").exists()


# -- summarize.py ---------------------------------------------------------------------------
def test_summarize_reports_regions_and_plots_them(tmp_path):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import summarize

    for seed in range(3):
        job = tmp_path / "sweep" / f"job{seed}"
        job.mkdir(parents=True)
        results = [{"pathway": pathway, "model": "logistic", "minority_f1": 0.5,
                    "worst_region_pr_auc": value, "worst_region_recall": 0.5,
                    "regions": {"class=yes/declared-0": {"test_rows": 9, "positives": 3,
                                                         "pr_auc": value, "recall": 0.5,
                                                         "precision": 0.5, "f1": 0.5}}}
                   for pathway, value in (("augment:x/default", 0.6 + seed / 100),
                                          ("none", 0.5))]
        (job / "metrics.json").write_text(json.dumps({
            "seed": seed, "results": results,
            "regions": [{"id": "class=yes/declared-0", "description": "y == 'yes' and g == 'a'"}]}))
        (job / "manifest.json").write_text(json.dumps({"input": {"name": "toy"}}))
    assert summarize.main([str(tmp_path / "sweep")]) == 0
    out = tmp_path / "sweep" / "summary"
    per_region = pd.read_csv(out / "regions.csv")
    assert len(per_region) == 6 and set(per_region.region) == {"y == 'yes' and g == 'a'"}
    text = (out / "summary.md").read_text()
    assert "## Held-out rows per region" in text and "| toy | y == 'yes' and g == 'a' |" in text
    assert "Δ worst_region_pr_auc" in text
    assert (out / "region_pr_auc_by_pathway.png").stat().st_size > 1000


def test_a_baseline_that_cannot_run_is_skipped_in_its_own_name():
    table = make_table(60, 7, seed=4)
    ev = Evaluation(models=("logistic",), baselines=("none", "smote"), test_size=0.34,
                    random_state=0)
    train, test = ev.split(table, "label")  # 5 minority rows: too few for SMOTE's k=5
    frame = train.assign(_synthetic=False, _weight=1.0)
    out = ev.evaluate(train, test, detect_schema(train, "label"), frame, "auto")
    assert set(out["skipped"]) == {"smote"}
    assert out["skipped"]["smote"].startswith("baseline 'smote' could not run: Generator 'smote'")
    assert {r["pathway"] for r in out["results"]} == {"augment", "none"}


def test_discovered_regions_share_only_what_declared_regions_leave():
    from conftest import make_table

    from augment.augmenter import _after_declared
    from augment.data import detect_schema
    from augment.profile import SparseRegionFinder, declare_regions, find_class_regions

    table = make_table(600, 120)  # large enough for the finder to find low-density pockets
    schema = detect_schema(table, "label")
    classes = find_class_regions(table["label"], schema, "auto")
    need = next(r for r in classes if r.label == "yes").needed
    declared, classes = declare_regions(
        [{"rule": "grade == 'C'", "class": "yes", "rows": need // 2}], table, schema, classes)
    left = _after_declared(classes, declared)
    assert next(r for r in left if r.label == "yes").needed == max(
        need - declared[0].needed, 0)
    finder = SparseRegionFinder(random_state=0)
    budget_all = sum(r.needed for r in finder.find(table, schema, classes))
    budget_left = sum(r.needed for r in finder.find(table, schema, left))
    assert budget_all > 0, "the test needs discovered regions"
    assert budget_left < budget_all
