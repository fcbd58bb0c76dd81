"""CTGAN / CopulaGAN / TVAE pathways and the perturbation baseline, on tiny tables, 1-2 epochs."""

import numpy as np
import pandas as pd
import pytest
from conftest import make_table

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError, GenerationError, InvalidDataError
from augment.generators import (
    GENERATORS,
    CopulaGANGenerator,
    CTGANGenerator,
    PerturbationGenerator,
    TVAEGenerator,
)
from augment.profile import Region, find_class_regions

TINY = dict(epochs=2, batch_size=20, progress=False, random_state=0, embedding_dim=16)
DEEP = [
    lambda **kw: CTGANGenerator(**{**TINY, "generator_dim": (32,), "discriminator_dim": (32,),
                                   **kw}),
    lambda **kw: CopulaGANGenerator(**{**TINY, "generator_dim": (32,),
                                       "discriminator_dim": (32,), **kw}),
    lambda **kw: TVAEGenerator(**{**TINY, "compress_dims": (32,), "decompress_dims": (32,),
                                  **kw}),
]


@pytest.fixture(scope="module")
def data():
    table = make_table(120, 60)
    schema = detect_schema(table, "label")
    cls = find_class_regions(table["label"], schema, "auto")[0]
    rule = {"categories": {"grade": {"C"}}, "ranges": {"amount": (140.0, None)}}
    sub_mask = (table.label == "yes") & (table.grade == "C") & (table.amount >= 140)
    sub = Region(id="class=yes/C-high", target_column="label", label="yes",
                 description=Region.describe("label", "yes", rule["categories"], rule["ranges"]),
                 count=int(sub_mask.sum()), target=int(sub_mask.sum()) + 20, kind="sparse",
                 **rule)
    return table, schema, cls, sub


@pytest.fixture(scope="module", params=range(len(DEEP)), ids=["ctgan", "copulagan", "tvae"])
def fitted(request, data):
    table, schema, cls, sub = data
    return DEEP[request.param], DEEP[request.param]().fit(table, schema, [cls, sub])


def test_registered():
    for name in ("ctgan", "tvae", "copulagan", "perturbation"):
        assert name in GENERATORS


def test_targeting_delivers_rows_inside_a_subclass_region(fitted, data):
    _, gen = fitted
    table, _, cls, sub = data
    rows = gen.sample(25, sub)
    assert len(rows) == 25
    assert sub.contains(rows).all()
    assert list(rows.columns) == list(table.columns)
    stats = gen.acceptance_[sub.id]
    assert stats["requested"] == 25 and stats["delivered"] == 25
    assert stats["generated"] >= stats["accepted"] >= 25
    assert 0 < stats["rate"] <= 1
    assert (gen.sample(10, cls)["label"] == "yes").all()


def test_loss_curve_and_describe(fitted):
    _, gen = fitted
    curve = gen.loss_curve_
    assert list(curve["epoch"]) == [1, 2]
    assert curve.drop(columns="epoch").notna().all().all()
    if gen.name != "tvae":
        assert {"generator_loss", "discriminator_loss"} <= set(curve.columns)
    info = gen.describe()["training"]
    assert info["epochs_run"] == 2 and info["stopped_early"] is None
    assert info["loss_curve"]["epoch"] == [1, 2]
    assert info["device"] == "cpu" or info["device"].startswith("cuda")


def test_same_seed_same_rows_and_calls_differ(fitted, data):
    make, gen = fitted
    table, schema, cls, sub = data
    again = make().fit(table, schema, [cls, sub])
    first = gen.__class__(**gen.get_params()).fit(table, schema, [cls, sub]).sample(15, sub)
    pd.testing.assert_frame_equal(first, again.sample(15, sub))
    assert not again.sample(15, sub).equals(first)


def test_rejection_baseline_counts_generated_rows(data):
    table, schema, cls, sub = data
    gen = DEEP[0](targeting="rejection", max_tries=5).fit(table, schema, [cls, sub])
    rows = gen.sample(5, sub)  # 2 epochs may miss the region: fewer rows, with a reason
    assert sub.contains(rows).all()
    stats = gen.acceptance_[sub.id]
    assert stats["how"] == "rejection of unconditioned rows"
    assert stats["accepted"] <= stats["generated"] <= 1000  # budget max(5 * 5, 1000)
    assert len(rows) == 5 or "max_tries" in stats["shortfall"]


def test_time_budget_stops_training(data):
    table, schema, cls, _ = data
    gen = DEEP[2](epochs=1000, max_seconds=0.01).fit(table, schema, [cls])
    assert gen.epochs_run_ < 1000
    assert "max_seconds" in gen.stopped_early_
    assert len(gen.sample(5, cls)) == 5


def test_unseen_region_is_an_error(fitted, data):
    _, gen = fitted
    other = Region(id="class=yes/never", target_column="label", label="yes", description="",
                   count=0, target=5, categories={"grade": {"A"}})
    with pytest.raises(GenerationError, match="never saw"):
        gen.sample(3, other)


def test_region_too_small_is_reported(data):
    table, schema, cls, sub = data
    gen = DEEP[0](min_region_rows=sub.count + 1)
    problems = gen.check_table(table, schema, [cls, sub])
    assert any(sub.id in p and f"needs at least {sub.count + 1}" in p for p in problems)
    with pytest.raises(InvalidDataError, match=sub.id):
        gen.fit(table, schema, [cls, sub])


@pytest.mark.parametrize(("gen", "match"), [
    (CTGANGenerator(epochs=0), "epochs"),
    (CTGANGenerator(epochs=1.5), "epochs"),
    (CTGANGenerator(batch_size=15), "batch_size"),
    (CTGANGenerator(batch_size=24, pac=10), "multiple of pac"),
    (CTGANGenerator(max_seconds=-1), "max_seconds"),
    (CTGANGenerator(n_threads=0), "n_threads"),
    (CTGANGenerator(targeting="magic"), "targeting"),
    (CopulaGANGenerator(focus=2), "focus"),
    (TVAEGenerator(temperature=0), "temperature"),
    (TVAEGenerator(max_tries=0), "max_tries"),
    (CTGANGenerator(finetune_steps=-1), "finetune_steps"),
    (CTGANGenerator(finetune_steps=0.0), "finetune_steps"),
    (CTGANGenerator(finetune_steps=False), "finetune_steps"),
    (TVAEGenerator(finetune_steps=2.5), "finetune_steps"),
    (CTGANGenerator(finetune_lr=0), "finetune_lr"),
    (TVAEGenerator(constrain="yes"), "constrain"),
    (CTGANGenerator(mask_modes=1), "mask_modes"),
    (PerturbationGenerator(noise=-1), "noise"),
    (PerturbationGenerator(swap_prob=1.5), "swap_prob"),
])
def test_bad_params(gen, match):
    assert any(match in p for p in gen.check_params())


def test_negative_finetune_steps_is_a_config_error():
    with pytest.raises(ConfigError, match="finetune_steps must be an integer >= 0"):
        Augmenter(generator=CTGANGenerator(finetune_steps=-1))._components()


def _categorical_region(table, label="yes", grade="C"):
    mask = (table.label == label) & (table.grade == grade)
    return Region(id=f"class={label}/grade={grade}", target_column="label", label=label,
                  description=Region.describe("label", label, {"grade": {grade}}, {}),
                  count=int(mask.sum()), target=int(mask.sum()) + 20, kind="rare",
                  categories={"grade": {grade}})


@pytest.mark.parametrize("make", DEEP, ids=["ctgan", "copulagan", "tvae"])
def test_finetuning_is_seeded_recorded_and_changes_the_rows(make, data):
    table, schema, cls, sub = data
    tuned = [make(finetune_steps=3).fit(table, schema, [cls, sub]) for _ in range(2)]
    first, again = (gen.sample(30, sub) for gen in tuned)
    pd.testing.assert_frame_equal(first, again)
    stats = tuned[0].acceptance_[sub.id]
    assert stats["finetune"]["steps"] == 3 and stats["finetune"]["rows"] == sub.count
    assert stats["finetune"]["seconds"] >= 0
    assert stats["how"].startswith("fine-tuned copy (3 steps")
    assert tuned[0].describe()["acceptance"][sub.id]["finetune"]["steps"] == 3
    # only the fitted regions' rows of the training matrix are kept, as float32
    matrix = tuned[0].synthesizer_._model._train_matrix
    assert matrix.dtype == np.float32 and len(matrix) == cls.count < len(table)
    # the copy is made once per region and cached; the trained model is left as it was
    model = tuned[0]._aimed[sub.id][0]
    tuned[0].sample(5, sub)
    assert tuned[0]._aimed[sub.id][0] is model
    assert model is not tuned[0].synthesizer_._model
    plain = make(finetune_steps=0).fit(table, schema, [cls, sub])
    rows = plain.sample(30, sub)
    assert "finetune" not in plain.acceptance_[sub.id]
    assert "fine-tuned" not in plain.acceptance_[sub.id]["how"]
    assert sub.contains(rows).all()
    assert not rows.equals(first)  # fine-tuning changed what the model generates


@pytest.mark.parametrize("make", DEEP, ids=["ctgan", "copulagan", "tvae"])
def test_constrained_decoding_keeps_pinned_categories_inside(make, data):
    table, schema, cls, _ = data
    rare = _categorical_region(table, grade="A")
    gens = {flag: make(finetune_steps=0, constrain=flag, min_region_rows=3).fit(
        table, schema, [cls, rare])
            for flag in (True, False)}
    for gen in gens.values():
        assert len(gen.sample(200, rare)) == 200
    on, off = (gens[flag].acceptance_[rare.id] for flag in (True, False))
    # pinned categories are inside by construction: every generated row is accepted
    assert on["accepted"] == on["generated"] >= 200
    assert "constrained decoding: label decoded among 1 of 2 categories; grade decoded among " \
        "1 of 3 categories" in on["how"]
    # without the constraint a 2-epoch model misses the category on some rows
    assert off["accepted"] < off["generated"]
    assert "constrained" not in off["how"]
    # numeric ranges are not clipped: rows outside are rejected and counted
    gen = make(finetune_steps=0).fit(table, schema, [cls, data[3]])
    gen.sample(50, data[3])
    assert "rejection outside amount ranges" in gen.acceptance_[data[3].id]["how"]


def test_perturbation_stays_in_bounds(data):
    table, schema, cls, sub = data
    gen = PerturbationGenerator(noise=0.5, swap_prob=0.5, random_state=0)
    gen.fit(table, schema, [cls, sub])
    for region in (cls, sub):
        real = table[region.contains(table)]
        rows = gen.sample(300, region)
        assert region.contains(rows).all()
        for name in ("amount", "count"):
            assert rows[name].min() >= real[name].min() and rows[name].max() <= real[name].max()
        assert np.all(rows["count"] == np.round(rows["count"]))
        assert set(rows["grade"]) <= set(real["grade"])
        assert not rows[["amount"]].duplicated().all()
    again = PerturbationGenerator(noise=0.5, swap_prob=0.5, random_state=0)
    pd.testing.assert_frame_equal(again.fit(table, schema, [cls, sub]).sample(300, sub),
                                  gen.__class__(**gen.get_params()).fit(
                                      table, schema, [cls, sub]).sample(300, sub))


def _torch_attributes(model):
    import torch

    return {key: value for key, value in vars(model).items()
            if isinstance(value, (torch.nn.Module, torch.Tensor))}


def _tensors(model) -> list:
    """Every parameter, buffer and tensor the model holds."""
    import torch

    out = []
    for value in _torch_attributes(model).values():
        out += ([*value.parameters(), *value.buffers()] if isinstance(value, torch.nn.Module)
                else [value])
    return out


def test_set_device_moves_every_module(fitted):
    # ctgan's set_device moves only the generator / decoder: on CUDA the discriminator /
    # encoder we keep would stay behind. Ours moves every module the model holds. The "meta"
    # device (shapes without storage) exists on every machine, so this runs without a GPU.
    import copy

    import torch

    _, gen = fitted
    model = copy.deepcopy(gen.synthesizer_._model)  # the fixture's model stays usable
    modules = {k for k, v in _torch_attributes(model).items() if isinstance(v, torch.nn.Module)}
    assert modules == ({"encoder", "decoder"} if gen.name == "tvae"
                       else {"_generator", "_discriminator"})
    model.set_device(torch.device("meta"))
    tensors = _tensors(model)
    assert tensors and {t.device.type for t in tensors} == {"meta"}
    assert str(model._device) == "meta"


def test_pickling_leaves_the_live_model_alone_and_round_trips(fitted, data):
    # ctgan's __getstate__ moves the live generator to the CPU and back *before* pickle
    # writes it, so a CUDA-trained model pickled CUDA tensors. Ours writes CPU copies of
    # every module and never moves the live ones; a loaded model samples the same rows.
    import pickle

    import torch

    _, gen = fitted
    _, _, cls, sub = data
    gen.sample(5, sub)  # a fine-tuned copy is cached too
    model = gen.synthesizer_._model
    live = [(t.device, t.data_ptr()) for t in _tensors(model)]
    blob = pickle.dumps(gen)
    assert [(t.device, t.data_ptr()) for t in _tensors(model)] == live  # not moved, not copied
    state = model.__getstate__()
    assert str(state["_device"]) == "cpu" and "random_states" not in state
    assert all(t.device.type == "cpu" for key in _torch_attributes(model)
               for t in (state[key].parameters() if isinstance(state[key], torch.nn.Module)
                         else [state[key]]))
    loaded = pickle.loads(blob)
    where = "cuda" if torch.cuda.is_available() else "cpu"
    assert str(loaded.synthesizer_._model._device) == where
    assert {t.device.type for t in _tensors(loaded.synthesizer_._model)} == {where}
    twin = pickle.loads(blob)
    for region in (cls, sub):
        pd.testing.assert_frame_equal(loaded.sample(7, region), twin.sample(7, region))


def test_loaded_model_honours_enable_gpu(fitted):
    # a model made with enable_gpu=False stays on the CPU when loaded, even where CUDA is
    import pickle

    from augment.generators import _deep_models

    _, gen = fitted
    alone = _deep_models._clone(gen.synthesizer_._model, epoch_callback=None,
                                _enable_gpu=False)
    loaded = pickle.loads(pickle.dumps(alone))
    assert str(loaded._device) == "cpu"
    assert {t.device.type for t in _tensors(loaded)} == {"cpu"}


def test_finetune_copy_is_not_a_pickling_round_trip(data, monkeypatch):
    # copy.copy would call __getstate__ (CPU copies of every module, then back to CUDA)
    from augment.generators._deep_models import _OneDevice

    table, schema, cls, sub = data
    for make in (DEEP[0], DEEP[2]):
        gen = make(finetune_steps=2).fit(table, schema, [cls, sub])
        monkeypatch.setattr(_OneDevice, "__getstate__",
                            lambda self: pytest.fail("fine-tuning pickled the model"))
        assert len(gen.sample(5, sub)) == 5
        assert gen.acceptance_[sub.id]["finetune"]["steps"] == 2
        monkeypatch.undo()


def test_mode_mask_for_a_known_range():
    # two well-separated clusters: the range x >= 50 is reached by the high one only
    from ctgan.data_transformer import DataTransformer

    from augment.generators._deep_models import (
        _MASKED,
        decoding_mask,
        mode_shares,
        modes_to_keep,
    )

    rng = np.random.RandomState(0)
    x = np.concatenate([rng.normal(0, 1, 300), rng.normal(100, 1, 100)])
    frame = pd.DataFrame({"x": x, "c": np.where(x > 50, "hi", "lo")})
    coder = DataTransformer()
    coder.fit(frame, ["c"])
    matrix = coder.transform(frame)
    share, weight = mode_shares(coder, matrix, {"x": x >= 50, "c": x >= 50})["x"]
    assert weight.sum() == pytest.approx(1)
    modes = matrix[:, 1:1 + len(share)].argmax(axis=1)
    high = np.unique(modes[x >= 50])
    assert set(np.flatnonzero(share > 0)) == set(high)
    assert np.all(share[high] == 1) and weight[high].sum() == pytest.approx(0.25)
    keep = modes_to_keep(share, weight, 0.99)
    assert np.array_equal(keep, share > 0)
    mask, notes = decoding_mask(coder, {}, {"x": keep})
    assert np.all(mask[1:1 + len(share)][~keep] == _MASKED)
    assert np.all(mask[1:1 + len(share)][keep] == 0) and mask[0] == 0
    assert np.all(mask[1 + len(share):] == 0)  # the discrete column is untouched
    assert notes == [f"x decoded among {keep.sum()} of {len(keep)} value modes"]
    # no mode kept: unmasked, with the reason
    mask, notes = decoding_mask(coder, {}, {"x": np.zeros(len(share), dtype=bool)})
    assert mask is None
    assert notes == [f"x: no value mode reaches its range, decoded among all {len(share)} modes"]



def test_modes_to_keep_covers_the_range_with_the_fewest_modes():
    from augment.generators._deep_models import modes_to_keep

    share = np.array([0.017, 0.0, 0.989, 1.0])
    weight = np.array([0.5, 0.2, 0.2, 0.1])  # in-range mass 0.0085, 0, 0.1978, 0.1
    assert modes_to_keep(share, weight, 0.99).tolist() == [True, False, True, True]
    assert modes_to_keep(share, weight, 0.95).tolist() == [False, False, True, True]
    assert modes_to_keep(share, weight, 0.3).tolist() == [False, False, False, True]
    assert not modes_to_keep(np.zeros(4), weight, 0.99).any()


@pytest.mark.parametrize("make", DEEP, ids=["ctgan", "copulagan", "tvae"])
def test_mode_masking_lands_more_rows_in_range(make, data):
    table, schema, cls, sub = data
    gens = {flag: make(finetune_steps=0, mask_modes=flag).fit(table, schema, [cls, sub])
            for flag in (True, False)}
    rows = {flag: gen.sample(200, sub) for flag, gen in gens.items()}
    on, off = (gens[flag].acceptance_[sub.id] for flag in (True, False))
    assert len(rows[True]) == 200 and sub.contains(rows[True]).all()
    assert on["rate"] > off["rate"]
    assert "value modes" in on["how"] and "value modes" not in off["how"]
    assert "rejection outside amount ranges" in on["how"]  # never clipped
    # deterministic: a fresh fit with the same seed gives the same rows
    again = make(finetune_steps=0, mask_modes=True).fit(table, schema, [cls, sub])
    pd.testing.assert_frame_equal(again.sample(200, sub), rows[True])
    # without constrained decoding there is no mode masking either
    loose = make(finetune_steps=0, constrain=False).fit(table, schema, [cls, sub])
    loose.sample(20, sub)
    assert "value modes" not in loose.acceptance_[sub.id]["how"]


def test_unreachable_range_falls_back_to_unmasked_decoding(data):
    table, schema, cls, sub = data
    gen = DEEP[0](finetune_steps=0).fit(table, schema, [cls, sub])
    share, weight = gen._mode_share[sub.id]["amount"]
    gen._mode_share[sub.id]["amount"] = (np.zeros_like(share), weight)
    rows = gen.sample(20, sub)
    assert len(rows) == 20 and sub.contains(rows).all()
    assert "amount: no value mode reaches its range, decoded among all" in \
        gen.acceptance_[sub.id]["how"]


def _upstream_table():
    rng = np.random.RandomState(0)
    return pd.DataFrame({"x": rng.normal(size=60), "c": rng.choice(list("abc"), 60),
                         "y": rng.choice(["n", "y"], 60)})


@pytest.mark.parametrize("kind", ["ctgan", "tvae"])
def test_copies_train_and_sample_as_upstream_does(kind):
    # FocusedCTGAN.fit/_train and LatentTVAE.fit mirror ctgan 0.12.1's CTGAN.fit and
    # TVAE.fit: with focus 0 and no region, the same seed gives the same weights and rows.
    import torch
    from ctgan import CTGAN, TVAE

    from augment.generators._deep_models import FocusedCTGAN, LatentTVAE

    table = _upstream_table()
    if kind == "ctgan":
        kw = dict(epochs=2, batch_size=20, pac=10, embedding_dim=8, generator_dim=(16,),
                  discriminator_dim=(16,), enable_gpu=False)
        ours, theirs = FocusedCTGAN(focus_columns=["y"], focus=0.0, **kw), CTGAN(**kw)
        weights = lambda m: m._generator.state_dict()  # noqa: E731
    else:
        kw = dict(epochs=2, batch_size=20, embedding_dim=8, compress_dims=(16,),
                  decompress_dims=(16,), enable_gpu=False)
        ours, theirs = LatentTVAE(**kw), TVAE(**kw)
        weights = lambda m: m.decoder.state_dict()  # noqa: E731
    torch.set_num_threads(1)
    for model in (ours, theirs):
        model.set_random_state(3)
        model.fit(table, discrete_columns=["c", "y"])
    for key, value in weights(theirs).items():
        assert torch.equal(weights(ours)[key], value), key
    for model in (ours, theirs):
        model.set_random_state(4)
    pd.testing.assert_frame_equal(ours.sample(30), theirs.sample(30))


@pytest.mark.parametrize("kind", ["ctgan", "tvae"])
def test_sdv_fit_validation_kept(kind):
    # sdv 2.0.0's _fit refuses pandas' category dtype; the copies do too, and the
    # generators cast such columns to object before SDV sees them
    from sdv.errors import InvalidDataTypeError

    from augment.generators._deep_models import _SYNTHS

    table = _upstream_table().astype({"c": "category"})
    synth = _SYNTHS[kind].__new__(_SYNTHS[kind])
    with pytest.raises(InvalidDataTypeError, match="'category' type"):
        synth._fit(table)


def test_category_dtype_columns_are_fitted(data):
    table, _, _, _ = data
    table = table.astype({"grade": "category"})
    schema = detect_schema(table, "label")
    cls = find_class_regions(table["label"], schema, "auto")[0]
    for make in DEEP:
        rows = make(epochs=1).fit(table, schema, [cls]).sample(10, cls)
        assert len(rows) == 10 and set(rows["grade"]) <= set(table["grade"].astype(str))
