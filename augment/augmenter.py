"""The library entry point: an imbalanced-learn style sampler that runs the whole pipeline."""

from __future__ import annotations

import numbers
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from augment._assemble import WEIGHT_MODES, reattach
from augment._threads import thread_limit, threads_problems
from augment.data import carried_notes, detect_schema
from augment.errors import (
    AugmentWarning,
    ConfigError,
    InvalidDataError,
    NotFittedError,
    format_problems,
)
from augment.gates import BATCH_GATES, ROW_GATES, BatchGate, LabelAgreementGate, RowGate
from augment.generators import GENERATORS, BaseGenerator
from augment.labelers import LABELERS, BaseLabeler
from augment.pipeline import run_pipeline
from augment.profile import SparseRegionFinder, check_declared, declare_regions, find_class_regions

__all__ = ["Augmenter"]

BATCH_ON_FAIL = ("reject", "warn")


def _build(spec, registry: dict, role: str, base: type):
    """A fresh component from a name or from an instance (which is cloned, never changed)."""
    if isinstance(spec, str):
        if spec not in registry:
            raise ConfigError(f"Unknown {role} {spec!r}. Expected one of {sorted(registry)}.")
        return registry[spec]()
    if isinstance(spec, base):
        return clone(spec)
    raise ConfigError(f"Expected a {role} name {sorted(registry)} or a {base.__name__}. "
                      f"Got {type(spec).__name__}.")


def _after_declared(classes: list, declared: list) -> list:
    """The class regions with the rows their declared regions take off their need: the
    discovered regions' budget (a share of the class's need) is a share of what is left."""
    from collections import Counter
    from dataclasses import replace

    taken: Counter = Counter()
    for region in declared:
        taken[str(region.label)] += region.needed
    return [replace(r, target=max(r.count, r.target - taken[str(r.label)]))
            if r.kind == "class" and taken[str(r.label)] else r for r in classes]


def rs_int(random_state) -> int | None:
    return int(random_state) if isinstance(random_state, numbers.Integral) else None


def _seeded(component, random_state, progress: bool = True):
    """Give a component the run's seed when it takes one and has none of its own;
    silence its own progress bars when the run shows none."""
    params = component.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        component.set_params(random_state=random_state)
    if "progress" in params and not progress:
        component.set_params(progress=False)
    return component


class Augmenter(BaseEstimator):
    """Add synthetic rows where a labelled table is thin, keeping only rows that pass the gates.

    Works like an imbalanced-learn over-sampler: ``fit_resample(X, y)`` returns
    ``(X_res, y_res)`` with the real rows first and unchanged, then the kept
    synthetic rows; it drops into ``imblearn.pipeline.Pipeline``. The full result
    (weights, provenance, rejected rows with reasons, manifest data) stays on the
    fitted object as ``result_``.

    Parameters
    ----------
    sampling_strategy : str, float or dict
        Which classes to grow and to what size, with imbalanced-learn's meaning.
    profile : "sparse", SparseRegionFinder or None
        ``"sparse"`` (default) also grows thin regions inside each grown class
        (their rows count towards the class target); ``None`` grows whole classes only.
    regions : list or None
        Regions to grow first, each a rule text or a dict with ``rule`` (e.g.
        ``"sex == 'Female' and age >= 40"``, the language the reports use for
        discovered regions), optional ``class`` (default: the class the rule names,
        else the one class ``sampling_strategy`` grows) and ``rows`` (synthetic rows
        to add) or ``factor`` (rows after / real rows; default twice its class's
        growth). Every pathway aims at them; their kept rows count towards their
        class's target; a class not grown by ``sampling_strategy`` gets only them.
    generator : str or BaseGenerator
        ``"arf"`` (default: adversarial random forest, one per class), ``"gaussian_copula"``,
        ``"smote"``, ``"none"``, any name in ``augment.generators.GENERATORS``, or an instance.
    labeler : str or BaseLabeler
        ``"tree"`` (default: depth 6, probabilities under the real class prior,
        reference confidence at quantile 0.75) or an instance; fitted on real rows only.
    label_policy : {"agree", "relabel", "soft", "intended"}
        ``agree`` keeps a row only when the labeler backs its intended class;
        ``relabel`` takes the labeler's label; ``soft`` also records the labeler's
        probabilities as ``_proba_<class>``; ``intended`` trusts the generator.
    label_acceptance : {"match", "strict"}
        How ``agree`` decides (see :class:`LabelAgreementGate`). ``match``
        (default) keeps rows at random so that the labeler's P(class) over kept
        rows follows its spread over the real rows of the class or
        region: the kept rows keep the class's shape and thin regions survive.
        ``strict`` keeps only rows the labeler is as sure of as the surest
        quarter of the class's real rows (lower label noise, rows crowd into the
        class's most typical corner).
    floor_quantile : float
        ``match``: rows the labeler ranks below this quantile of the class's (or
        region's) real rows are rejected (default 0: the whole spread is matched;
        higher values lower label noise and cut the class's least typical rows).
    min_confidence : float
        ``strict`` and ``relabel``: smallest labeler probability kept (default
        0.9), lowered for a class to the labeler's reference confidence on its
        real rows where that is lower (see :class:`LabelAgreementGate`).
    row_gates : list of str or RowGate
        Per-row checks besides the label check (default validity, novelty,
        constraints discovered in the real rows, distance to the closest record,
        and realism: a cross-fitted discriminator's density-ratio acceptance).
        Add ``"class_check"`` (:class:`~augment.gates.ClassCheckGate`, the CLI's
        ``gate=clean_labels``) for much lower label noise at some cost in shape.
    batch_gates : list of str or BatchGate
        Per-class checks of the kept rows against real ones (default marginal and
        joint similarity and a classifier two-sample test with permutation p-value).
    check_all : bool
        ``False`` (default): row checks run cheapest first and each sees only the
        rows every earlier one kept, so a rejected row records the first check it
        failed (later scores NaN). ``True``: every row meets every check and
        ``_reasons`` lists all it failed (slower: the costly gates see every row).
    batch_on_fail : {"reject", "warn"}
        What happens to a class's kept rows when a batch check fails: ``reject``
        (default) moves them to the rejected rows with the failed checks as the
        reason (the run reports the shortfall); ``warn`` keeps them and warns. The
        default gates' kept rows passed every batch check in docs/bench_faithful.md.
    weight_mode : {"balance", "prior"}
        How ``_weight`` is set for synthetic rows (see :func:`synthetic_weights`).
    max_rounds : int
        Generate-label-gate rounds per region before a shortfall is reported. Each
        round asks for the rows still missing divided by the acceptance seen so far
        (x1.1; 50% assumed at first, at least 5%).
    max_rows_per_round : int
        Largest batch sent through generator, labeler and gates at once (a memory
        bound); a round that asks for more runs in several batches.
    keep_columns : list of str
        Columns to use as features even though they look like row identifiers or
        date/time text. Without it, such columns (and constant ones) are left out of
        generation and checks and carried through: real rows keep their values,
        synthetic rows get the constant or a missing value (see ``result_.warnings``).
    carry_columns : list of str, or dict
        Columns to leave out and carry through as identifiers, whatever they look
        like (e.g. a shuffled customer number); a dict maps each to the reason shown.
    random_state : int or None
        Seed given to every component that has none of its own.
    progress : bool
        Show progress bars (default ``False``: the library is quiet unless asked).
    threads : int or None
        Threads of every BLAS, OpenMP and torch pool while fitting (default 1: the
        fastest on a shared machine and in sweeps; ``None``: the libraries' defaults,
        usually one per core). See :func:`augment._threads.thread_limit`.

    Examples
    --------
    >>> from augment import Augmenter
    >>> from augment.data import load_default
    >>> df, target = load_default()
    >>> X, y = df.drop(columns=target), df[target]
    >>> X_res, y_res = Augmenter(random_state=0).fit_resample(X, y)  # doctest: +SKIP
    """

    def __init__(self, sampling_strategy="auto", profile="sparse", generator="arf",
                 labeler="tree", regions=None,
                 label_policy: str = "agree", label_acceptance: str = "match",
                 floor_quantile: float = 0.0, min_confidence: float = 0.9,
                 row_gates=("validity", "novelty", "constraints", "distance", "realism"),
                 batch_gates=("marginal", "joint", "two_sample"), check_all: bool = False,
                 batch_on_fail: str = "reject", weight_mode: str = "balance",
                 max_rounds: int = 5, max_rows_per_round: int = 50_000,
                 keep_columns=(), carry_columns=(), random_state: int | None = None,
                 progress: bool = False, threads: int | None = 1):
        self.sampling_strategy = sampling_strategy
        self.profile = profile
        self.regions = regions
        self.generator = generator
        self.labeler = labeler
        self.label_policy = label_policy
        self.label_acceptance = label_acceptance
        self.floor_quantile = floor_quantile
        self.min_confidence = min_confidence
        self.row_gates = row_gates
        self.batch_gates = batch_gates
        self.check_all = check_all
        self.batch_on_fail = batch_on_fail
        self.weight_mode = weight_mode
        self.max_rounds = max_rounds
        self.max_rows_per_round = max_rows_per_round
        self.keep_columns = keep_columns
        self.carry_columns = carry_columns
        self.random_state = random_state
        self.progress = progress
        self.threads = threads

    # -- validation ------------------------------------------------------------------------
    def _components(self):
        """Build all components and collect every parameter problem, then raise once."""
        problems: list[str] = []

        def attempt(fn):
            try:
                return fn()
            except ConfigError as exc:
                problems.append(str(exc))
                return None

        rs = self.random_state
        profile = None
        if self.profile is not None:
            profile = attempt(lambda: _seeded(_build(
                self.profile, {"sparse": SparseRegionFinder}, "profile", SparseRegionFinder), rs))
        if rs is not None and not isinstance(rs, numbers.Integral):
            problems.append(f"random_state must be an integer or None; got {rs!r}.")
            rs = None
        generator = attempt(lambda: _seeded(_build(self.generator, GENERATORS, "generator",
                                                   BaseGenerator), rs, self.progress))
        labeler = attempt(lambda: _seeded(_build(self.labeler, LABELERS, "labeler", BaseLabeler),
                                          rs))
        row_gates = [attempt(lambda g=g: _seeded(_build(g, ROW_GATES, "row gate", RowGate), rs))
                     for g in self.row_gates]
        label_gate = LabelAgreementGate(policy=self.label_policy,
                                        min_confidence=self.min_confidence,
                                        acceptance=self.label_acceptance,
                                        floor_quantile=self.floor_quantile, random_state=rs)
        row_gates = [g for g in row_gates if g is not None] + [label_gate]
        batch_gates = [attempt(lambda g=g: _seeded(_build(g, BATCH_GATES, "batch gate",
                                                          BatchGate), rs))
                       for g in self.batch_gates]
        batch_gates = [g for g in batch_gates if g is not None]
        for component in [profile, generator, labeler, *row_gates, *batch_gates]:
            if component is not None:
                problems.extend(component.check_params())
        names = [g.name for g in row_gates] + [g.name for g in batch_gates]
        if len(set(names)) != len(names):
            problems.append(f"each gate may appear once; got {names}.")
        if not isinstance(self.check_all, bool):
            problems.append(f"check_all must be true or false; got {self.check_all!r}.")
        if self.batch_on_fail not in BATCH_ON_FAIL:
            problems.append(f"batch_on_fail must be one of {list(BATCH_ON_FAIL)}; got "
                            f"{self.batch_on_fail!r}.")
        if self.weight_mode not in WEIGHT_MODES:
            problems.append(f"weight_mode must be one of {list(WEIGHT_MODES)}; got "
                            f"{self.weight_mode!r}.")
        for name in ("max_rounds", "max_rows_per_round"):
            value = getattr(self, name)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                problems.append(f"{name} must be an integer >= 1; got {value!r}.")
        for name in ("keep_columns", "carry_columns"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(c, str) for c in value):
                problems.append(f"{name} must be a list of column names; got {value!r}.")
        problems.extend(check_declared(self.regions)[1])
        problems.extend(threads_problems(self.threads))
        if problems:
            raise ConfigError(format_problems("Invalid Augmenter configuration", problems))
        return profile, generator, labeler, row_gates, batch_gates

    # -- fitting ---------------------------------------------------------------------------
    def fit_table(self, table: pd.DataFrame, target: str) -> Augmenter:
        """Augment a whole table with its label column ``target``; the result is ``result_``.

        Every check (parameters, data, what the generator needs) runs before any
        model is fitted. ``table`` is never modified.
        """
        components = self._components()
        with thread_limit(self.threads):
            return self._fit_table(table, target, *components)

    def _fit_table(self, table, target, profile, generator, labeler, row_gates, batch_gates
                   ) -> Augmenter:
        start = time.perf_counter()
        carry = (dict(self.carry_columns) if isinstance(self.carry_columns, dict)
                 else tuple(self.carry_columns))
        schema = detect_schema(table, target, keep=tuple(self.keep_columns), carry=carry,
                               random_state=rs_int(self.random_state))
        work = table[[*schema.features, target]]  # carried columns return after assembly
        regions = find_class_regions(work[target], schema, self.sampling_strategy)
        declared, regions = declare_regions(self.regions, work, schema, regions)
        problems = generator.check_table(work, schema, [*declared, *regions])
        if problems:
            raise InvalidDataError(format_problems(
                f"Generator '{generator.name}' cannot augment this table", problems))
        skipped = []
        if profile is not None:
            subs = []
            for region in profile.find(work, schema, _after_declared(regions, declared)):
                if generator.check_table(work, schema, [region]):
                    skipped.append(f"{region.id} ({region.description}) skipped: {region.count} "
                                   f"rows, generator '{generator.name}' needs "
                                   f"{generator.min_class_rows}")
                else:
                    subs.append(region)
            regions = [*subs, *regions]
        regions = [*declared, *regions]  # the pipeline fills a class's sub-regions in order
        profile_seconds = round(time.perf_counter() - start, 3)  # schema, checks, regions
        result = run_pipeline(
            work, schema, regions, generator=generator, labeler=labeler, row_gates=row_gates,
            batch_gates=batch_gates, batch_on_fail=self.batch_on_fail,
            weight_mode=self.weight_mode, max_rounds=int(self.max_rounds),
            max_rows_per_round=int(self.max_rows_per_round), check_all=self.check_all,
            progress=self.progress, random_state=rs_int(self.random_state))
        result.warnings[:0] = [*carried_notes(schema), *skipped]
        result.warnings += [f"{b['region']}: batch check {b['gate']} skipped ({b['message']}); "
                            "its kept rows were not compared with its real rows"
                            for b in result.batch if b["passed"] is None]
        result.augmented = reattach(result.augmented, table, schema.carried)
        result.timings = {"profile": profile_seconds, **result.timings}
        # keep the caller's column order in the output
        order = [*table.columns, *[c for c in result.augmented.columns if c not in table.columns]]
        result.augmented = result.augmented[order]
        self.result_ = result
        self.generator_, self.labeler_ = generator, labeler
        self.regions_ = regions
        self.schema_ = schema
        self.sample_weight_ = result.augmented["_weight"].to_numpy()
        self.sample_indices_ = np.flatnonzero(~result.augmented["_synthetic"].to_numpy())
        for message in result.warnings:  # the library is quiet, but a problem is a warning
            warnings.warn(message, AugmentWarning, stacklevel=3)
        return self

    def fit_resample(self, X, y):
        """Return ``(X_res, y_res)``: the real rows first and unchanged, then the kept rows.

        ``X`` is a DataFrame or an array (returned as the same kind); ``y`` a Series or array.
        Weights are in ``sample_weight_``; everything else in ``result_``.
        """
        is_frame = isinstance(X, pd.DataFrame)
        if not is_frame:
            array = np.asarray(X)
            if array.ndim != 2:
                raise InvalidDataError(f"Expected X with 2 dimensions. Got shape {array.shape}.")
            X = pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])
        y_name = y.name if isinstance(y, pd.Series) and y.name is not None else "target"
        if y_name in X.columns:
            y_name = "__target__"
        y_values = np.asarray(y)
        if y_values.ndim != 1 or len(y_values) != len(X):
            raise InvalidDataError(
                f"Expected y with one label per row of X ({len(X)}). Got shape {y_values.shape}.")
        table = X.reset_index(drop=True).assign(**{y_name: y_values})
        self.fit_table(table, y_name)
        augmented = self.result_.augmented
        X_res = augmented[list(X.columns)]
        y_res = augmented[y_name]
        if isinstance(y, pd.Series):
            y_res = y_res.rename(y.name)
        else:
            y_res = y_res.to_numpy()
        return (X_res if is_frame else X_res.to_numpy()), y_res

    @property
    def rejected_(self) -> pd.DataFrame:
        """Rejected synthetic rows with ``_reason`` (the first failed check) and ``_reasons``
        (every failed check with ``check_all=True``). Loads rows spilled to disk."""
        if not hasattr(self, "result_"):
            raise NotFittedError("Augmenter is not fitted yet. Call fit_resample() first.")
        return self.result_.rejected
