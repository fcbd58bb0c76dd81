"""The Hydra app: every config option composes and instantiates; runs end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from augment import Augmenter
from augment._instantiate import instantiate
from augment.cli import build_augmenter, config_dir
from augment.generators import BaseGenerator
from augment.labelers import BaseLabeler
from augment.profile import SparseRegionFinder

CONF = Path(config_dir())
#: What each instantiated config group must build.
ROLES = {"profile": SparseRegionFinder, "generator": BaseGenerator, "labeler": BaseLabeler}
GROUPS = ["data", "profile", "generator", "labeler", "gate", "evaluate"]


def _compose(*overrides):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose(config_name="config", overrides=list(overrides))


@pytest.mark.parametrize("group", GROUPS)
def test_every_option_composes_and_instantiates(group, tmp_path):
    options = sorted(p.stem for p in (CONF / group).glob("*.yaml"))
    assert options
    for option in options:
        extra = ([f"data.path={tmp_path / 'x.csv'}", "data.target=y"] if option == "file" else [])
        cfg = _compose(f"{group}={option}", *extra)
        if group == "data":
            assert instantiate(cfg.data, "data").target
        elif group == "evaluate":
            ev = instantiate(cfg.evaluate, "evaluate") if cfg.evaluate is not None else None
            assert ev is None or not ev.check_params()
        elif group == "gate":
            aug = build_augmenter(cfg)
            aug._components()
        else:
            obj = instantiate(cfg[group], group)
            assert isinstance(obj, ROLES[group])
            # the run seed, or none (the Augmenter then gives it the run seed); never its own
            seed = obj.get_params(deep=False).get("random_state")
            assert seed in (None, cfg.seed), f"{group}={option} fixes its own seed {seed}"
            problems = obj.check_params()
            if (group, option) == ("labeler", "stored"):  # the version comes from the user
                assert len(problems) == 1 and "labeler.version=<id>" in problems[0]
                obj = instantiate(_compose("labeler=stored", "labeler.version=tree-0")[group],
                                  group)
                problems = obj.check_params()
            assert problems == [], (option, problems)


def _plain(params: dict) -> dict:
    return {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}


def test_library_defaults_match_cli_defaults():
    profile, *singles, rows, batch = build_augmenter(_compose())._components()
    lib_profile, *lib_singles, lib_rows, lib_batch = Augmenter(random_state=0)._components()
    for a, b in zip([profile, *singles, *rows, *batch],
                    [lib_profile, *lib_singles, *lib_rows, *lib_batch], strict=True):
        assert type(a) is type(b) and _plain(a.get_params()) == _plain(b.get_params())
    cfg = _compose()
    lib_params = Augmenter().get_params()
    for key in ("sampling_strategy", "weight_mode", "max_rounds", "max_rows_per_round"):
        assert cfg[key] == lib_params[key]
    assert cfg.gate.label_policy == lib_params["label_policy"]
    assert cfg.gate.min_confidence == lib_params["min_confidence"]
    assert cfg.gate.acceptance == lib_params["label_acceptance"]
    assert cfg.gate.floor_quantile == lib_params["floor_quantile"]
    assert cfg.gate.batch_on_fail == lib_params["batch_on_fail"]


def _run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "augment", "progress=false", *args],
                          capture_output=True, text=True, cwd=cwd, timeout=600)


@pytest.fixture
def csv(table, tmp_path):
    path = tmp_path / "tiny.csv"
    table.to_csv(path, index=False)
    return path


def test_cli_on_a_csv_is_deterministic(csv, tmp_path):
    outs = []
    for name in ("a", "b"):
        run_dir = tmp_path / name
        proc = _run(f"data.path={csv}", "data.target=label", "generator=gaussian_copula",
                    "seed=3", "gate.min_confidence=0.5", f"hydra.run.dir={run_dir}")
        assert proc.returncode == 0, proc.stderr
        outs.append(run_dir)
    assert (outs[0] / "augmented.parquet").read_bytes() == (
        outs[1] / "augmented.parquet").read_bytes()
    for name in ("rejected.parquet", "report.md", "manifest.json", "figures/class_counts.png"):
        assert (outs[0] / name).exists(), name
    manifest = json.loads((outs[0] / "manifest.json").read_text())
    assert manifest["seed"] == 3
    assert manifest["config"]["generator"]["_target_"].endswith("GaussianCopulaGenerator")
    assert len(manifest["input"]["sha256"]) == 64
    assert manifest["environment"]["packages"]["sdv"]
    assert {"fit_generator", "generate", "label", "gate"} <= set(manifest["seconds"])


def test_cli_smote_on_parquet(table, tmp_path):
    path = tmp_path / "tiny.parquet"
    table.to_parquet(path)
    proc = _run(f"data.path={path}", "data.target=label", "generator=smote",
                "gate.min_confidence=0.5", f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 0, proc.stderr
    out = pd.read_parquet(tmp_path / "run" / "augmented.parquet")
    pd.testing.assert_frame_equal(out[table.columns].iloc[: len(table)], table)
    assert out["_synthetic"].sum() > 0


def test_cli_clean_labels_gate_adds_the_class_check(csv, tmp_path):
    proc = _run(f"data.path={csv}", "data.target=label", "gate=clean_labels",
                f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert "class_check" in manifest["gates"]["row"]
    assert manifest["gates"]["params"]["class_check"]["floor_quantile"] == 0.4
    assert "realism" in manifest["gates"]["row"]  # the default gates stay


def test_cli_strict_label_gate_is_a_named_option(csv, tmp_path):
    proc = _run(f"data.path={csv}", "data.target=label", "gate=strict_label",
                f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["gates"]["params"]["label"]["acceptance"] == "strict"
    assert manifest["verdicts"] and "VERDICT class=yes" in proc.stderr
    # a corner of the class by design: failed shape checks are reported, the rows kept
    assert manifest["gates"]["batch_on_fail"] == "warn"
    assert Augmenter().batch_on_fail == "reject"  # the default gates reject a failed batch


@pytest.mark.parametrize(("args", "code", "message"), [
    (["data.target=nope"], 2, "Expected target column 'nope'"),
    (["gate.min_confidence=3"], 2, "min_confidence must be in [0, 1]"),
    (["data.path=/no/such/file.csv", "data.target=y"], 2, "no such file"),
    (["generator=gan"], 1, "generator/gan"),
    (["max_rounds=0"], 2, "max_rounds must be an integer >= 1"),
    (["gate.acceptance=loose"], 2, "label acceptance must be one of"),
    (["+gate.min_confidense=0.5"], 2, "Got unknown ['min_confidense']"),  # Hydra's own hint
])
def test_cli_bad_input_writes_no_manifest(csv, tmp_path, args, code, message):
    args = [f"data.path={csv}", *args] if "data.target=nope" in args else args
    run_dir = tmp_path / "run"
    proc = _run(*args, f"hydra.run.dir={run_dir}")
    assert proc.returncode == code
    assert message in proc.stderr
    assert not (run_dir / "manifest.json").exists()
    assert not (run_dir / "augmented.parquet").exists()


@pytest.mark.slow
def test_default_run_on_embedded_data(tmp_path):
    proc = _run(f"hydra.run.dir={tmp_path}")
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["counts"]["kept"] > 0
    assert manifest["regions"][0]["label"] == "bad"
    assert {b["gate"] for b in manifest["batch_fidelity"]} == {"marginal", "joint", "two_sample"}
    report = (tmp_path / "report.md").read_text()
    assert "figures/class_counts.png" in report and "figures/marginals.png" in report
    out = pd.read_parquet(tmp_path / "augmented.parquet")
    from augment.data import load_default

    real, _ = load_default()
    pd.testing.assert_frame_equal(out[real.columns].iloc[: len(real)], real)


# -- issue 16: what a new user hits in the first hour -------------------------------------------

def _augment(*args, cwd=None):
    """The console script as a user runs it (no progress=false: the default must behave)."""
    exe = Path(sys.executable).with_name("augment")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=600)


def test_help_describes_the_app_and_the_common_command_lines():
    proc = _augment("--help")
    assert proc.returncode == 0
    assert not proc.stdout.startswith("augment is powered by Hydra")
    assert "adds synthetic rows" in proc.stdout
    assert "augment data.path=my.csv data.target=label" in proc.stdout
    assert "--multirun" in proc.stdout and "generator: " in proc.stdout
    assert "keep_columns" in proc.stdout


@pytest.mark.parametrize("arg", ["generater=smote", "+generater=smote", "++sed=3"])
def test_unknown_top_level_settings_are_refused(arg, tmp_path):
    proc = _augment(arg, f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 2
    assert "is not a setting or config group of augment" in proc.stderr
    assert "+generater" not in proc.stderr.replace(f"'{arg}'", "")  # no hint to append it
    assert ("did you mean generator=smote" in proc.stderr) == ("generater" in arg)
    assert not (tmp_path / "run").exists()


def test_data_file_without_a_path_explains_itself(tmp_path):
    proc = _augment("data=file", f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 2
    assert "MissingMandatoryValue" not in proc.stderr
    assert "data.path=my.csv data.target=label" in proc.stderr


def test_a_users_semicolon_csv_end_to_end(table, tmp_path):
    """A `;` file with names, a row number, date strings and a constant: runs, says so."""
    n = len(table)
    user = table.assign(name=[f"Passenger {i}" for i in range(n)], row=range(1, n + 1),
                        when=pd.date_range("2013-01-01 05:00", periods=n, freq="h").astype(str),
                        country="NL")
    path = tmp_path / "user.csv"
    user.to_csv(path, sep=";", index=False)
    run_dir = tmp_path / "run"
    # with evaluation: the split shuffles rows, so the row number is found before it
    proc = _augment(f"data.path={path}", "data.target=label", "generator=smote",
                    "gate.min_confidence=0.5", "profile=classes", "evaluate=default",
                    "evaluate.models=[logistic]", "evaluate.baselines=[none]",
                    f"hydra.run.dir={run_dir}")
    assert proc.returncode == 0, proc.stderr
    assert "\r" not in proc.stderr  # piped: no carriage-return progress bars
    assert proc.stderr.count("identifier columns left out") == 1 and "'name'" in proc.stderr
    assert "date/time columns" in proc.stderr and "constant columns" in proc.stderr
    assert "skipped: skipped" not in proc.stderr
    out = pd.read_parquet(run_dir / "augmented.parquet")
    assert out["_synthetic"].sum() > 0
    assert set(out.loc[~out["_synthetic"], "name"]) < set(user["name"])  # the training part
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert set(manifest["schema"]["carried"]) == {"name", "row", "when", "country"}


def test_sweep_with_failed_jobs_exits_1_and_says_which(table, tmp_path, csv):
    proc = _augment("--multirun", f"data.path={csv}", "data.target=label",
                    "sampling_strategy={nope:10},{zz:3}", f"hydra.sweep.dir={tmp_path / 's'}")
    assert proc.returncode == 1
    assert "2 of 2 sweep jobs failed" in proc.stderr
    assert "sampling_strategy={nope:10}: ConfigError" in proc.stderr
    assert "sampling_strategy={zz:3}: ConfigError" in proc.stderr


def test_the_help_examples_name_config_options_that_exist():
    import re
    from pathlib import Path

    from omegaconf import OmegaConf

    conf = Path(config_dir())
    template = OmegaConf.load(conf / "config.yaml").hydra.help.template
    groups = {p.name for p in conf.iterdir() if p.is_dir()}
    named = re.findall(r"\b([a-z_]+)=([A-Za-z0-9_,]+)", template)
    checked = [(g, v) for g, values in named if g in groups for v in values.split(",")]
    assert checked  # the examples do name options
    for group, value in checked:
        assert (conf / group / f"{value}.yaml").exists(), f"help names {group}={value}"
