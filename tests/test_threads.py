"""One thread context (augment._threads.thread_limit): pins, restores, reaches every component."""

import os
import warnings

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from augment import Augmenter
from augment._threads import THREAD_VARIABLES, thread_limit
from augment.errors import AugmentError, AugmentWarning, ConfigError
from augment.gates import MarginalGate, NoveltyGate
from augment.generators import SMOTEGenerator


def _pools() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info()]


def test_pins_every_pool_and_restores_the_previous_state(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    with threadpool_limits(limits=2):
        before = _pools()
        with thread_limit(1):
            assert _pools() and all(n == 1 for n in _pools())
            assert all(os.environ[name] == "1" for name in THREAD_VARIABLES)
        assert _pools() == before
    assert os.environ["OMP_NUM_THREADS"] == "7"
    assert "MKL_NUM_THREADS" not in os.environ


def test_restores_after_an_error_and_none_changes_nothing():
    before, env = _pools(), {name: os.environ.get(name) for name in THREAD_VARIABLES}
    with pytest.raises(RuntimeError), thread_limit(1):
        raise RuntimeError("inside")
    assert _pools() == before
    assert {name: os.environ.get(name) for name in THREAD_VARIABLES} == env
    with thread_limit(None):
        assert _pools() == before


def test_torch_threads_when_torch_is_imported():
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with thread_limit(1):
            assert torch.get_num_threads() == 1
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_bad_setting_is_a_config_error(bad):
    with pytest.raises(ConfigError, match="threads must be an integer >= 1 or null"):
        with thread_limit(bad):
            pass
    with pytest.raises(AugmentError, match="threads must be"):
        Augmenter(threads=bad).fit_table(None, "label")  # refused before the data is read


_SEEN: list = []


class _Recording(NoveltyGate):
    """A row gate that notes the thread pools it runs under."""

    def _check(self, rows, labels):
        _SEEN.append(_pools())
        return super()._check(rows, labels)


@pytest.mark.parametrize("threads", [1, 2])
def test_the_augmenter_runs_every_component_under_its_setting(table, threads):
    _SEEN.clear()
    with threadpool_limits(limits=2 if threads == 1 else 1):
        outside = _pools()
        aug = Augmenter(random_state=0, progress=False, generator=SMOTEGenerator(k_neighbors=3),
                        min_confidence=0.5, row_gates=[_Recording()],
                        batch_gates=[MarginalGate()], threads=threads)
        aug.fit_table(table, "label")
        assert _pools() == outside  # restored after fitting
    assert _SEEN
    assert all(np.all(np.array(pools) == threads) for pools in _SEEN)


def test_the_deep_generators_seed_context_limits_threads_through_the_one_context():
    torch = pytest.importorskip("torch")
    from augment.generators._sdv_deep import torch_context

    before = torch.get_num_threads()
    with torch_context(0, 1):
        assert torch.get_num_threads() == 1
        assert os.environ["OMP_NUM_THREADS"] == "1"
    assert torch.get_num_threads() == before


_TINY_DEEP = dict(epochs=1, batch_size=20, embedding_dim=8, finetune_steps=0, progress=False)


def _deep(name: str, **params):
    from augment.generators import CopulaGANGenerator, CTGANGenerator, TVAEGenerator

    if name == "tvae":
        return TVAEGenerator(compress_dims=(8,), decompress_dims=(8,), **_TINY_DEEP, **params)
    cls = CTGANGenerator if name == "ctgan" else CopulaGANGenerator
    return cls(generator_dim=(8,), discriminator_dim=(8,), **_TINY_DEEP, **params)


def _torch_threads_seen(table, monkeypatch, **augmenter) -> list[int]:
    """torch's thread count at every training epoch of a deep generator fitted by an Augmenter."""
    torch = pytest.importorskip("torch")
    from augment.generators._sdv_deep import _DeepGenerator

    seen, on_epoch = [], _DeepGenerator._on_epoch

    def spy(self, model, losses):
        seen.append(torch.get_num_threads())
        return on_epoch(self, model, losses)

    monkeypatch.setattr(_DeepGenerator, "_on_epoch", spy)
    with warnings.catch_warnings():  # a 1-epoch model's rows: quality warnings are expected
        warnings.simplefilter("ignore", AugmentWarning)
        Augmenter(random_state=0, min_confidence=0.5, row_gates=["validity"], batch_gates=[],
                  max_rounds=1, **augmenter).fit_table(table, "label")
    return seen


@pytest.mark.parametrize("name", ["ctgan", "copulagan", "tvae"])
def test_deep_generators_train_under_the_augmenters_threads(table, monkeypatch, name):
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    try:
        seen = _torch_threads_seen(table, monkeypatch, generator=_deep(name, random_state=0),
                                   threads=2)
        assert seen and set(seen) == {2}  # the one setting, not the generator's own default
        if name == "ctgan":
            torch.set_num_threads(2)
            seen = _torch_threads_seen(table, monkeypatch, generator=_deep(name, random_state=0),
                                       threads=None)
            assert seen and set(seen) == {2}  # threads=None: the libraries' (torch's) setting
    finally:
        torch.set_num_threads(previous)


def test_an_explicit_n_threads_still_pins_its_generator(table, monkeypatch):
    torch = pytest.importorskip("torch")
    previous = torch.get_num_threads()
    try:
        gen = _deep("ctgan", n_threads=1, random_state=0)
        seen = _torch_threads_seen(table, monkeypatch, generator=gen, threads=2)
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == previous  # restored after the run
    finally:
        torch.set_num_threads(previous)


@pytest.mark.parametrize("option", ["ctgan", "copulagan", "tvae"])
def test_no_generator_config_pins_threads_of_its_own(option):
    from hydra import compose, initialize_config_dir

    from augment._instantiate import instantiate
    from augment.cli import config_dir

    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"generator={option}"])
    generator = instantiate(cfg.generator, "generator")
    assert generator.n_threads is None and type(generator)().n_threads is None


def _spy_pools(monkeypatch, target: str) -> list:
    """Patch ``module.attribute`` to note the thread pools every call runs under."""
    import importlib

    module, name = target.rsplit(".", 1)
    seen, real = [], getattr(importlib.import_module(module), name)

    def spy(*args, **kwargs):
        seen.append(_pools())
        return real(*args, **kwargs)

    monkeypatch.setattr(target, spy)
    return seen


def _entry_point(table, entry: str):
    """A public entry point that fits models outside the Augmenter: what it fits through (to
    spy on) and a call ``f(threads)``."""
    from augment.data import detect_schema
    from augment.evaluate import Evaluation
    from augment.gates import ClassCheckGate, RealismGate, TwoSampleGate, two_sample_auc

    schema = detect_schema(table, "label")
    real, rows = table.iloc[:40], table.iloc[35:]
    gate = dict(n_splits=2, random_state=0)
    cv = "sklearn.model_selection.cross_val_predict"
    if entry == "two_sample_auc":
        return cv, lambda t: two_sample_auc(real, rows, schema, threads=t, **gate)
    if entry == "TwoSampleGate":
        return cv, lambda t: TwoSampleGate(n_permutations=0, threads=t, **gate).check(
            real, rows, schema, "all")
    if entry == "RealismGate":
        return "augment.gates._realism.cross_fitted_scores", lambda t: RealismGate(
            min_rows=5, max_iter=5, threads=t, **gate).fit(real, schema).check(rows)
    if entry in ("ClassCheckGate.fit", "ClassCheckGate.check"):
        fitted = ClassCheckGate(max_iter=5, min_rows=5, **gate).fit(table, schema)  # 2 classes
        if entry == "ClassCheckGate.check":
            return "augment.gates._class_check.match_acceptance", lambda t: fitted.set_params(
                threads=t).check(rows)
        return "augment.gates._boosted.make_encoder", lambda t: ClassCheckGate(
            max_iter=5, threads=t, **gate).fit(table, schema)
    kept = table.assign(_synthetic=False, _weight=1.0)
    return "augment.evaluate._harness.make_model", lambda t: Evaluation(
        models=("logistic",), baselines=(), threads=t, random_state=0).evaluate(
        table, table, schema, kept, "auto")


@pytest.mark.parametrize("entry", ["two_sample_auc", "TwoSampleGate", "Evaluation", "RealismGate",
                                   "ClassCheckGate.fit", "ClassCheckGate.check"])
def test_entry_points_that_fit_models_pin_their_own_threads_or_inherit(table, monkeypatch,
                                                                         entry):
    target, call = _entry_point(table, entry)
    seen = _spy_pools(monkeypatch, target)
    with threadpool_limits(limits=2):
        outside = _pools()
        call(1)
        assert seen and all(n == 1 for pools in seen for n in pools)  # pinned
        assert _pools() == outside  # and restored
        seen.clear()
        with thread_limit(1):
            call(None)  # the default inherits the caller's limit
        assert seen and all(n == 1 for pools in seen for n in pools)


def test_write_run_pins_its_figures_threads(table, monkeypatch, tmp_path):
    from augment.report import write_run

    result = Augmenter(generator=SMOTEGenerator(k_neighbors=3), random_state=0,
                       min_confidence=0.5).fit_table(table, "label").result_
    seen = _spy_pools(monkeypatch, "augment.report._writer.make_figures")
    info = {"path": "x.csv", "rows": 75, "columns": 5, "target": "label", "sha256": "0" * 64}
    with threadpool_limits(limits=2):
        outside = _pools()
        write_run(result, tmp_path, input_info=info, seed=0, threads=1)
        assert seen and all(n == 1 for n in seen[0])
        assert _pools() == outside
    with pytest.raises(ConfigError, match="threads must be"):
        write_run(result, tmp_path / "bad", input_info=info, seed=0, threads=0)
    assert not (tmp_path / "bad").exists()  # refused before anything is written


@pytest.mark.parametrize("bad", [0, True])
def test_a_bad_entry_point_threads_setting_is_reported(bad):
    from augment.evaluate import Evaluation
    from augment.gates import ClassCheckGate, RealismGate, TwoSampleGate

    for component in (TwoSampleGate(threads=bad), Evaluation(threads=bad),
                      RealismGate(threads=bad), ClassCheckGate(threads=bad)):
        assert any("threads must be an integer >= 1 or null" in p
                   for p in component.check_params())


def test_torch_first_imported_inside_the_block_keeps_its_limit():
    """What thread_limit's docstring says: a pool first loaded inside keeps the limit."""
    import subprocess
    import sys

    pytest.importorskip("torch")
    code = ("import os\nfrom augment._threads import thread_limit\n"
            "with thread_limit(1):\n    import torch\n    inside = torch.get_num_threads()\n"
            "print(inside, torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])")
    env = {**os.environ, **{name: "2" for name in THREAD_VARIABLES}}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True, timeout=120).stdout.split()
    assert out == ["1", "1", "2"]  # torch kept 1 thread; the variables were restored
