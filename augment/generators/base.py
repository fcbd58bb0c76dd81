"""The interface every generation pathway implements."""

from __future__ import annotations

import copy
import numbers
import zlib
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state

from augment.data import Schema
from augment.errors import (
    ConfigError,
    GenerationError,
    InvalidDataError,
    NotFittedError,
    random_state_problems,
)
from augment.generators import _dcr
from augment.profile import Region

__all__ = ["BaseGenerator"]


class BaseGenerator(BaseEstimator):
    """Fit on real rows, then ``sample(n, region=...)`` rows aimed at a region.

    Subclasses implement ``_fit(table)`` and ``_sample(n, region, seed)``; the
    public methods validate input and conform the output (column order, the
    target column set to the region's class, integer columns rounded).

    Every generator trains on the real table only and takes ``random_state``;
    each ``sample`` call draws a fresh seed from it, so a run's sequence of calls
    is reproducible while two calls never repeat each other.
    """

    #: Short name used in config, provenance columns and reports.
    name: ClassVar[str] = "base"
    #: Fewest real rows a class needs before this generator can target it.
    min_class_rows: ClassVar[int] = 1
    #: True: the pathway takes ``dcr_target`` and the base moves its rows away from the real
    #: rows when they sit closer than unseen real rows do (:mod:`augment.generators._dcr`);
    #: ``arf`` reaches its target by its own smoothing instead.
    moves_to_dcr: ClassVar[bool] = False

    def check_params(self) -> list[str]:
        """Problems with the parameters, found before any data is touched (subclasses add
        theirs to this list)."""
        problems = random_state_problems(self)
        if self.moves_to_dcr:
            problems += _dcr.target_problems(getattr(self, "dcr_target", None), self.name)
        return problems

    def check_table(self, table: pd.DataFrame, schema: Schema,
                    regions: list[Region] | None = None) -> list[str]:
        """Problems that would stop ``fit``; checked before any heavy work.

        ``regions`` are the regions that will be sampled (one per class when None).
        """
        problems = list(self.check_params())
        regions = regions if regions is not None else _all_classes(schema)
        counts = [(region, int(region.contains(table).sum())) for region in regions]
        small = [(region, count) for region, count in counts if count < self.min_class_rows]
        if small:
            problems.append(_too_small(small, counts, self.name, self.min_class_rows))
        return problems

    def fit(self, table: pd.DataFrame, schema: Schema,
            regions: list[Region] | None = None) -> BaseGenerator:
        """Learn from the real rows (features and target) described by ``schema``.

        ``regions`` are the regions ``sample`` will be asked for (one per class when
        None); a generator may condition on them at training time.
        """
        regions = list(regions) if regions is not None else _all_classes(schema)
        problems = self.check_table(table, schema, regions)
        if problems:
            raise InvalidDataError(
                f"Generator '{self.name}' cannot use this table:\n  - " + "\n  - ".join(problems)
            )
        self.schema_ = schema
        self.regions_ = {r.id: r for r in regions}
        self.labels_ = list(dict.fromkeys(r.label for r in regions))
        self.columns_ = [*schema.features, schema.target]
        self._rng = check_random_state(getattr(self, "random_state", None))
        self._fit(table[self.columns_])
        self._fit_dcr(table[self.columns_])
        self.n_sample_calls_ = 0
        return self

    def _fit_dcr(self, table: pd.DataFrame) -> None:
        """Per region, the move ``sample`` applies (``dcr_``: strength, ratios tried).

        Each region is calibrated against its own real rows (a subgroup sits among fewer,
        farther rows than its class: its class's strength left a 229-row subgroup's SMOTE
        rows at 0.90), on a random stream of its own, seeded by the generator's seed and the
        region's id: the sequence of ``sample`` seeds, and so a pathway's rows at strength
        0, are those without the move, and a region's strength does not depend on which
        other regions are fitted. The calibration's draws leave no trace in
        ``acceptance_``.
        """
        self.dcr_, self._spread = {}, {}
        target = getattr(self, "dcr_target", None)
        if not self.moves_to_dcr or target is None:
            return
        seed = (self.random_state if isinstance(self.random_state, numbers.Integral)
                else self._rng.randint(np.iinfo(np.int32).max))
        saved = copy.deepcopy(getattr(self, "acceptance_", None))
        for rid, region in self.regions_.items():
            real = table[region.contains(table).to_numpy()]
            self._spread[rid] = _dcr.Spread(real, region, self.schema_)
            rng = np.random.RandomState([int(seed) % 2**32, zlib.crc32(rid.encode()), 0xDC2])
            self.dcr_[rid] = _dcr.calibrate(
                lambda n, s, region=region: self._sample(n, region, s), real,
                self._spread[rid], self.schema_, target, rng)
            if not self.dcr_[rid]["strength"]:  # nothing to move: keep no copy of its rows
                del self._spread[rid]
        if saved is not None:
            self.acceptance_ = saved

    def _move(self, rows: pd.DataFrame, region: Region, seed: int) -> pd.DataFrame:
        """The calibrated move away from the real rows (none when its strength is 0)."""
        move = getattr(self, "dcr_", {}).get(region.id, {})
        strength = move.get("strength", 0.0)
        if not strength or not len(rows):
            return rows
        return _dcr.perturb(rows, self._spread[region.id], strength, _dcr.swap_share(strength),
                            np.random.default_rng([seed, 0xDC2]), move.get("scope", "row"))

    def sample(self, n: int, region: Region) -> pd.DataFrame:
        """Return up to ``n`` synthetic rows generated for ``region``."""
        if not hasattr(self, "schema_"):
            raise NotFittedError(f"{type(self).__name__} is not fitted yet. Call fit() first.")
        if not isinstance(n, numbers.Integral) or n < 0:
            raise ConfigError(f"Expected a number of rows n >= 0. Got {n!r}.")
        if region.id not in self.regions_:
            raise GenerationError(
                f"Expected one of the regions this generator was fitted for "
                f"{list(self.regions_)}. Got {region.id!r}, which it never saw. Fix: pass every "
                "region to fit()."
            )
        seed = int(self._rng.randint(np.iinfo(np.int32).max))
        self.n_sample_calls_ += 1
        if n == 0:
            return self._empty()
        rows = self._move(self._sample(int(n), region, seed), region, seed)
        return self._conform(rows, region)

    #: True when ``fit`` wants the mask of real rows the labeler backs (``set_backed``).
    wants_backed: ClassVar[bool] = False

    def set_backed(self, mask) -> BaseGenerator:
        """Hook: the real rows the label check backs, given before ``fit`` to generators
        whose ``wants_backed`` is true; others ignore it."""
        return self

    def shortfall(self, region_id: str) -> str | None:
        """Why ``sample`` returned no rows for a region (None: no reason recorded)."""
        return (getattr(self, "acceptance_", None) or {}).get(region_id, {}).get("shortfall")

    def _empty(self) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in self.columns_})

    def _conform(self, rows: pd.DataFrame, region: Region) -> pd.DataFrame:
        rows = rows.reset_index(drop=True).assign(**{self.schema_.target: region.label})
        rows = rows[self.columns_].copy()
        for name in self.schema_.names("integer"):
            rows[name] = pd.to_numeric(rows[name], errors="coerce").round()
        return rows

    def describe(self) -> dict:
        """Name and parameters, for the manifest (and the DCR move per region, if any)."""
        out = {"name": self.name, "class": type(self).__name__,
               "params": {k: _plain(v) for k, v in self.get_params().items()}}
        if getattr(self, "dcr_", None):
            out["dcr_move"] = self.dcr_
        return out

    def _fit(self, table: pd.DataFrame) -> None:
        raise NotImplementedError

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        raise NotImplementedError


def _all_classes(schema: Schema) -> list[Region]:
    return [Region(id=f"class={label}", target_column=schema.target, label=label,
                        description=f"{schema.target} == {label!r}", count=count, target=count)
            for label, count in schema.class_counts.items()]


def _plain(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _too_small(small: list, counts: list, name: str, needed: int) -> str:
    """One problem for every region with fewer rows than the generator needs, with fixes that
    work: leave the classes out of ``sampling_strategy``, or perturb real rows."""
    if len(small) == 1:
        region, count = small[0]
        head = (f"region {region.id} has {count} row(s) but generator '{name}' needs at least "
                f"{needed}")
    else:
        listed = ", ".join(f"{region.id} ({count})" for region, count in small[:8])
        more = f" and {len(small) - 8} more" if len(small) > 8 else ""
        head = (f"generator '{name}' needs at least {needed} rows per region; {len(small)} "
                f"regions have fewer: {listed}{more}")
    fixes = []
    if any(region.kind == "class" for region, _ in small):
        small_ids = {region.id for region, _ in small}
        grow = {(r.label.item() if isinstance(r.label, np.generic) else r.label): r.target
                for r, _ in counts
                if r.kind == "class" and r.id not in small_ids}
        example = f", e.g. {dict(list(grow.items())[:3])}" if grow else ""
        fixes.append(f"leave those classes out with a sampling_strategy dict naming only the "
                     f"classes to grow{example}")
    if name != "perturbation" or needed > 1:
        fixes.append("perturb real rows instead (CLI: generator=perturbation "
                     "generator.min_region_rows=1; Python: "
                     "PerturbationGenerator(min_region_rows=1))")
    fixes.append("or collect more rows")
    return f"{head}. Fix: " + "; ".join(fixes) + "."
