"""Role checks run over every registered component, in the style of imbalanced-learn's
``check_estimator``: every generator, labeler, row gate and batch gate survives ``clone``,
round-trips its parameters, leaves its input alone, gives the same output for the same seed,
rejects a bad parameter with an :class:`~augment.errors.AugmentError`, and pickles after fitting.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import make_table
from sklearn.base import clone

from augment.data import detect_schema
from augment.errors import AugmentError
from augment.gates import BATCH_GATES, ROW_GATES, LabelAgreementGate
from augment.generators import GENERATORS
from augment.labelers import LABELERS
from augment.profile import find_class_regions

pytestmark = pytest.mark.filterwarnings("ignore::augment.errors.AugmentWarning",
                                        "ignore::UserWarning")

_DEEP = dict(epochs=1, batch_size=10, progress=False, embedding_dim=8)
#: Parameters that keep each component fast on a 75-row table.
FAST = {
    "ctgan": {**_DEEP, "generator_dim": (8,), "discriminator_dim": (8,)},
    "copulagan": {**_DEEP, "generator_dim": (8,), "discriminator_dim": (8,)},
    "tvae": {**_DEEP, "compress_dims": (8,), "decompress_dims": (8,)},
    "forest_flow": {"n_t": 3, "duplicate_K": 2, "n_estimators": 5, "max_depth": 3},
    "arf": {"n_trees": 5, "max_iters": 1},
    "smote": {"k_neighbors": 3},
    "ebm": {"max_rounds": 20, "outer_bags": 1},
    "rules": {"rules": [{"when": {"amount": {">": 150}}, "label": "yes", "confidence": 0.9}]},
    "realism": {"n_splits": 2, "max_iter": 10, "min_rows": 5},
    "class_check": {"n_splits": 2, "max_iter": 10, "min_rows": 5},
    "two_sample": {"n_permutations": 50, "n_splits": 2},
}
#: One value per component that its checks must refuse; a component whose constructor takes
#: any parameter must be listed (a new component gets a bad value here, or fails below).
BAD = {
    "gaussian_copula": {"conditioning": "sideways"},
    "ctgan": {"epochs": 0},
    "copulagan": {"epochs": 0},
    "tvae": {"epochs": 0},
    "forest_flow": {"n_t": 0},
    "arf": {"n_trees": 0},
    "perturbation": {"noise": -1.0},
    "smote": {"k_neighbors": 0},
    "none": {"random_state": "seed"},
    "tree": {"max_depth": 0},
    "logistic": {"C": -1.0},
    "rules": {"uncovered": "maybe"},
    "ebm": {"max_rounds": 0},
    "constraints": {"max_discovered": -1},
    "distance": {"quantile": 1.5},
    "novelty": {"min_shared": 0},
    "realism": {"acceptance": "sometimes"},
    "class_check": {"floor_quantile": 1.0},
    "label": {"policy": "whatever"},
    "marginal": {"min_score": 2.0},
    "joint": {"coefficient": "Kendall"},
    "two_sample": {"max_auc": 0.1},
}


def _optional(name: str):
    """Components that need an optional package are skipped where it is missing."""
    need = {"ebm": "interpret", "forest_flow": "ForestDiffusion"}.get(name)
    if need:
        pytest.importorskip(need)


def _make(registry: dict, name: str, seed: int | None = None, **params):
    """A component with fast settings, ``params``, and ``random_state=seed`` where it takes one."""
    _optional(name)
    cls = registry[name]
    accepted = cls().get_params(deep=False)
    fast = {k: v for k, v in FAST.get(name, {}).items() if k in accepted}
    if seed is not None and "random_state" in accepted:
        fast["random_state"] = seed
    return cls(**{**fast, **params})


@pytest.fixture(scope="module")
def data():
    # a non-default index: components must neither rely on nor change it
    table = make_table()
    table.index = pd.Index([f"r{i}" for i in range(len(table))])[::-1]
    schema = detect_schema(table, "label")
    regions = find_class_regions(table["label"], schema, "auto")
    return table, schema, regions


def _same(a, b):
    if isinstance(a, pd.DataFrame):
        pd.testing.assert_frame_equal(a, b)
    else:
        assert a == b


# -- what every component shares ----------------------------------------------------------
COMPONENTS = ([("generator", n) for n in GENERATORS]
              + [("labeler", n) for n in LABELERS if n != "stored"]
              + [("row gate", n) for n in ROW_GATES] + [("row gate", "label")]
              + [("batch gate", n) for n in BATCH_GATES])
REGISTRY = {"generator": GENERATORS, "labeler": LABELERS,
            "row gate": {**ROW_GATES, "label": LabelAgreementGate}, "batch gate": BATCH_GATES}


@pytest.mark.parametrize(("role", "name"), COMPONENTS, ids=[n for _, n in COMPONENTS])
def test_clone_and_params_round_trip(role, name):
    component = _make(REGISTRY[role], name, seed=3)
    params = component.get_params(deep=False)
    twin = clone(component)
    assert type(twin) is type(component) and twin is not component
    _same_params(twin.get_params(deep=False), params)
    rebuilt = type(component)(**params)
    _same_params(rebuilt.get_params(deep=False), params)
    _same_params(type(component)().set_params(**params).get_params(deep=False), params)
    assert not component.check_params(), "default parameters must pass their own checks"


def _same_params(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert repr(a[key]) == repr(b[key]), key


@pytest.mark.parametrize(("role", "name"), COMPONENTS, ids=[n for _, n in COMPONENTS])
def test_bad_parameter_is_refused_up_front(role, name):
    cls = REGISTRY[role][name]
    if not cls().get_params(deep=False):
        assert name not in BAD  # nothing to get wrong
        return
    assert name in BAD, f"give {name} a bad parameter in BAD"
    component = _make(REGISTRY[role], name, **BAD[name])
    problems = component.check_params()
    assert problems and all(isinstance(p, str) and p for p in problems)
    bad = next(iter(BAD[name]))
    assert any(bad in p for p in problems), problems  # names the parameter


SEEDED = [(r, n) for r, n in COMPONENTS
          if "random_state" in REGISTRY[r][n]().get_params(deep=False)]


@pytest.mark.parametrize(("role", "name"), SEEDED, ids=[n for _, n in SEEDED])
def test_a_seed_that_is_not_a_number_is_refused(role, name):
    problems = _make(REGISTRY[role], name, random_state="seed").check_params()
    assert any("random_state" in p for p in problems), problems


# -- generators -----------------------------------------------------------------------------
@pytest.fixture(scope="module", params=sorted(GENERATORS))
def generator_run(request, data):
    """Each generator fitted twice with the same seed (module scope: fitted once per test file)."""
    table, schema, regions = data
    before = table.copy()
    make = lambda: _make(GENERATORS, request.param, seed=0)  # noqa: E731
    first = make().fit(table, schema, regions)
    pd.testing.assert_frame_equal(table, before)  # the input is never modified
    return request.param, first, make().fit(table, schema, regions)


def test_generator_same_seed_same_rows_and_no_input_change(generator_run, data):
    name, first, second = generator_run
    _, schema, regions = data
    a, b = first.sample(12, regions[0]), second.sample(12, regions[0])
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns) == [*schema.features, schema.target]
    if name != "none":
        assert len(a) == 12 and (a[schema.target] == regions[0].label).all()
    assert a.index.equals(pd.RangeIndex(len(a)))  # fresh rows, a fresh index


def test_generator_pickles_after_fitting(generator_run, data):
    _, first, _ = generator_run
    region = data[2][0]
    loaded = pickle.loads(pickle.dumps(first))
    pd.testing.assert_frame_equal(loaded.sample(6, region), first.sample(6, region))


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_fit_refuses_a_bad_parameter(name, data):
    table, schema, regions = data
    with pytest.raises(AugmentError, match=next(iter(BAD[name]))):
        _make(GENERATORS, name, **BAD[name]).fit(table, schema, regions)


# -- labelers -------------------------------------------------------------------------------
LABELER_NAMES = sorted(n for n in LABELERS if n != "stored")


def _fit_labeler(name: str, data, **params):
    table, schema, _ = data
    labeler = _make(LABELERS, name, seed=0, **params)
    return labeler.fit(table[schema.features], table[schema.target], schema)


@pytest.mark.parametrize("name", LABELER_NAMES)
def test_labeler_same_seed_same_labels_keeps_index_and_input(name, data):
    table, schema, _ = data
    before = table.copy()
    first, second = _fit_labeler(name, data), _fit_labeler(name, data)
    pd.testing.assert_frame_equal(table, before)
    rows = table.iloc[::3]
    out = first.label(rows[schema.features])
    pd.testing.assert_frame_equal(out, second.label(rows[schema.features]))
    assert out.index.equals(rows.index)
    assert first.quality_ == second.quality_
    pd.testing.assert_frame_equal(table, before)
    proba = out[[f"proba={c}" for c in first.classes_]].to_numpy()
    assert np.allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize("name", LABELER_NAMES)
def test_labeler_pickles_after_fitting(name, data):
    table, schema, _ = data
    labeler = _fit_labeler(name, data)
    loaded = pickle.loads(pickle.dumps(labeler))
    rows = table[schema.features].iloc[:20]
    pd.testing.assert_frame_equal(loaded.label(rows), labeler.label(rows))


@pytest.mark.parametrize("name", LABELER_NAMES)
def test_labeler_fit_refuses_a_bad_parameter(name, data):
    with pytest.raises(AugmentError, match=next(iter(BAD[name]))):
        _fit_labeler(name, data, **BAD[name])


def test_stored_labeler_passes_the_same_checks(data, tmp_path):
    from augment.labelers import StoredLabeler, save

    table, schema, _ = data
    version = save(_fit_labeler("tree", data), table, registry=tmp_path)
    stored = StoredLabeler(version=version, registry=str(tmp_path))
    assert not stored.check_params()
    assert StoredLabeler().check_params()  # no version: refused before any data is read
    _same_params(clone(stored).get_params(deep=False), stored.get_params(deep=False))
    before = table.copy()
    fitted = clone(stored).fit(table[schema.features], table[schema.target], schema)
    pd.testing.assert_frame_equal(table, before)
    rows = table[schema.features].iloc[::4]
    out = fitted.label(rows)
    assert out.index.equals(rows.index)
    pd.testing.assert_frame_equal(pickle.loads(pickle.dumps(fitted)).label(rows), out)


# -- gates ----------------------------------------------------------------------------------
def _candidates(data) -> pd.DataFrame:
    """Synthetic-looking rows of the minority class: jittered copies, one exact copy, one
    out-of-range row; on a non-default index."""
    table, _, _ = data
    real = table[table["label"] == "yes"]
    rng = np.random.default_rng(5)
    rows = real.sample(30, replace=True, random_state=1).copy()
    rows["amount"] = np.round(rows["amount"] + rng.normal(0, 5, len(rows)), 2)
    rows.iloc[0] = real.iloc[0]
    rows.iloc[1, rows.columns.get_loc("amount")] = 1e6
    rows.index = pd.Index(range(500, 500 + len(rows)))[::-1]
    return rows


ROW_NAMES = [*sorted(ROW_GATES), "label"]


def _fit_row_gate(name: str, data, **params):
    table, schema, _ = data
    return _make(REGISTRY["row gate"], name, seed=0, **params).fit(table, schema)


def _check_row_gate(gate, rows, data):
    _, schema, _ = data
    labels = None
    if isinstance(gate, LabelAgreementGate):
        labels = _fit_labeler("tree", data).label(rows[schema.features])
    return gate.check(rows, labels)


@pytest.mark.parametrize("name", ROW_NAMES)
def test_row_gate_answers_every_row_same_seed_same_answer(name, data):
    table, _, _ = data
    rows = _candidates(data)
    before_rows, before_table = rows.copy(), table.copy()
    first = _check_row_gate(_fit_row_gate(name, data), rows, data)
    pd.testing.assert_frame_equal(rows, before_rows)
    pd.testing.assert_frame_equal(table, before_table)
    assert first.index.equals(rows.index)
    assert list(first.columns[:3]) == ["keep", "score", "reason"]
    assert first["keep"].dtype == bool and first["score"].dtype == float
    assert (first.loc[~first["keep"], "reason"].str.len() > 0).all()  # every "no" says why
    assert (first.loc[first["keep"], "reason"] == "").all()
    second = _check_row_gate(_fit_row_gate(name, data), rows, data)
    pd.testing.assert_frame_equal(first, second)
    gate = _fit_row_gate(name, data)
    loaded = pickle.loads(pickle.dumps(gate))
    pd.testing.assert_frame_equal(_check_row_gate(loaded, rows, data),
                                  _check_row_gate(gate, rows, data))


def test_row_gates_see_the_planted_faults(data):
    rows = _candidates(data)
    validity = _check_row_gate(_fit_row_gate("validity", data), rows, data)
    novelty = _check_row_gate(_fit_row_gate("novelty", data), rows, data)
    assert not validity["keep"].iloc[1] and "above real max" in validity["reason"].iloc[1]
    assert not novelty["keep"].iloc[0] and "copy" in novelty["reason"].iloc[0]


@pytest.mark.parametrize("name", ROW_NAMES)
def test_row_gate_fit_refuses_a_bad_parameter(name, data):
    if name not in BAD:
        return
    with pytest.raises(AugmentError, match=next(iter(BAD[name]))):
        _fit_row_gate(name, data, **BAD[name])


@pytest.mark.parametrize("name", sorted(BATCH_GATES))
def test_batch_gate_same_seed_same_result_and_no_input_change(name, data):
    table, schema, _ = data
    real = table[table["label"] == "yes"]
    rows = _candidates(data)
    before = rows.copy(), real.copy()

    def run():
        return _make(BATCH_GATES, name, seed=0).check(real, rows, schema, "class=yes")

    first = run()
    pd.testing.assert_frame_equal(rows, before[0])
    pd.testing.assert_frame_equal(real, before[1])
    assert first.passed in (True, False) and isinstance(first.score, float) and first.message
    assert first.to_dict() == run().to_dict()
    gate = pickle.loads(pickle.dumps(_make(BATCH_GATES, name)))
    assert gate.check(real, rows, schema, "class=yes").gate == name


@pytest.mark.parametrize("name", sorted(BATCH_GATES))
def test_batch_gate_refuses_a_bad_parameter(name, data):
    table, schema, _ = data
    real = table[table["label"] == "yes"]
    with pytest.raises(AugmentError, match=next(iter(BAD[name]))):
        _make(BATCH_GATES, name, **BAD[name]).check(real, _candidates(data), schema, "x")


# -- before any data is read ----------------------------------------------------------------
@pytest.mark.parametrize(("role", "name"), [(r, n) for r, n in COMPONENTS if n in BAD])
def test_augmenter_refuses_a_bad_component_before_reading_the_table(role, name):
    from augment import Augmenter
    from augment.errors import ConfigError

    bad = _make(REGISTRY[role], name, **BAD[name])
    keyword = {"generator": "generator", "labeler": "labeler", "row gate": "row_gates",
               "batch gate": "batch_gates"}[role]
    if name == "label":
        params = {"label_policy": "whatever"}
    else:
        params = {keyword: [bad] if "gate" in role else bad}
    unreadable = pd.DataFrame()  # would fail as an empty table, were it read
    with pytest.raises(ConfigError, match=next(iter(BAD[name]))):
        Augmenter(**params).fit_table(unreadable, "label")
