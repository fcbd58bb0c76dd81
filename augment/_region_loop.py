"""The budgeted generate -> label -> gate loop for one region, and what it records."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from augment._label_stage import LabelStage
from augment._rejected import RejectedRows
from augment.gates import RowGate, row_result
from augment.generators import BaseGenerator
from augment.profile import Region

__all__ = ["RegionStats", "run_region"]

#: Candidate rows (generated, before any gate) kept per region as a uniform sample, to
#: measure what the gates did (:func:`augment.gates.measure_distortion`).
CANDIDATE_SAMPLE = 2000


@dataclass
class RegionStats:
    """What the loop did for one region (``to_dict`` gives the manifest's record).

    ``generated = kept + rejected + surplus``: surplus rows passed every gate after
    the region's target was met. ``kept`` counts every row taken; ``kept_for_target``
    only those that still carry the region's class (``relabel`` can move rows away).
    """

    region: Region
    requested: int
    generated: int = 0
    kept: int = 0
    kept_for_target: int = 0
    rounds: int = 0
    stopped: str = "target met"
    real_rows_backed: int | None = None
    gate_reports: dict = field(default_factory=dict)
    reasons: Counter = field(default_factory=Counter)
    agreement: np.ndarray = field(default_factory=lambda: np.zeros(3, dtype=np.int64))
    candidates: pd.DataFrame | None = None
    _keys: np.ndarray | None = None

    @property
    def shortfall(self) -> int:
        return self.requested - self.kept_for_target

    def sample_candidates(self, rows: pd.DataFrame, rng: np.random.RandomState) -> None:
        """Keep a uniform sample of every row generated so far (bottom-k random keys)."""
        keys = rng.random_sample(len(rows))
        if self.candidates is not None:
            rows = pd.concat([self.candidates, rows], ignore_index=True)
            keys = np.r_[self._keys, keys]
        order = np.argsort(keys, kind="stable")[:CANDIDATE_SAMPLE]
        self.candidates, self._keys = rows.iloc[order].reset_index(drop=True), keys[order]

    def reject_batch(self, n: int, reason: str) -> None:
        """A failed batch check rejected ``n`` of this region's kept rows."""
        self.kept -= n
        self.reasons["batch"] += n
        self.kept_for_target = min(self.kept_for_target, self.kept)
        self.stopped = reason

    def to_dict(self, synthetic: pd.DataFrame) -> dict:
        reasons = Counter(self.reasons)
        surplus = int(reasons.pop("surplus", 0))
        generated = self.generated
        kept_in_region = int(self.region.contains(synthetic).sum()) if len(synthetic) else 0
        return {**self.region.to_dict(), "requested": self.requested, "generated": generated,
                "kept": self.kept, "kept_for_target": self.kept_for_target,
                "relabelled_out": self.kept - self.kept_for_target, "rounds": self.rounds,
                "stopped": self.stopped, "shortfall": self.shortfall,
                "real_rows_backed": self.real_rows_backed, "gate_reports": self.gate_reports,
                "surplus": surplus, "rejected": int(sum(reasons.values())),
                "rejected_by_reason": dict(reasons.most_common()),
                "kept_in_region": kept_in_region, "after": self.region.count + kept_in_region,
                "yield": round(self.kept / generated, 4) if generated else None,
                "pass_rate": round((self.kept + surplus) / generated, 4) if generated else None}


def _reason_kind(reason: str) -> str:
    """``"validity: x=3 above ..."`` -> ``"validity"`` (the gate that rejected)."""
    return reason.split(":", 1)[0]


def reason_codes(reasons: np.ndarray) -> np.ndarray:
    """``_reason_code`` of each reason (the check's name), computed once per distinct text."""
    codes, uniques = pd.factorize(np.asarray(reasons, dtype=object))
    return np.array([_reason_kind(str(u)) for u in uniques], dtype=object)[codes]


def _reason_counts(reasons: np.ndarray) -> Counter:
    """Rows per rejecting gate (``_reason_kind``), counted once per distinct reason."""
    codes, uniques = pd.factorize(reasons)
    out: Counter = Counter()
    for reason, n in zip(uniques, np.bincount(codes, minlength=len(uniques))):
        out[_reason_kind(str(reason))] += int(n)
    return out


def _checks(row_gates: list[RowGate], region: Region) -> list:
    """(name, check) pairs in the order rows meet them: region membership, then gates by cost."""
    checks = []
    if region.kind != "class":
        def inside(rows, labels):
            mask = region.contains(rows).to_numpy()
            return row_result(rows.index, mask, mask.astype(float),
                              f"region: outside {region.id} ({region.description})")
        checks.append(("region", inside))
    ordered = sorted(row_gates, key=lambda g: g.cost)  # stable: ties keep order
    return checks + [(gate.name, gate.check) for gate in ordered]


def gate_round(rows: pd.DataFrame, labels: pd.DataFrame, row_gates: list[RowGate],
               region: Region, timings: dict, check_all: bool = False):
    """Run the region membership check (sub-class regions) and every row gate.

    Checks run cheapest first and, unless ``check_all``, each sees only the rows
    every earlier check kept: a rejected row carries the first reason and NaN
    scores for the checks it never reached. With ``check_all`` every check sees
    every row and ``every`` joins all reasons. Adds each gate's seconds to
    ``timings["check_<gate>"]``.
    Returns (keep mask, first reason, all reasons found, scores by check name, names of
    the checks that ran).
    """
    n = len(rows)
    alive = np.ones(n, bool)
    primary = np.full(n, "", dtype=object)
    found: list[np.ndarray] = []
    scores = {}
    ran = set()
    for name, check in _checks(row_gates, region):
        idx = np.arange(n) if check_all else np.flatnonzero(alive)
        score = np.full(n, np.nan)
        scores[name] = score
        if not len(idx):
            continue
        whole = len(idx) == n
        ran.add(name)
        start = time.perf_counter()
        verdict = check(rows if whole else rows.iloc[idx], labels if whole else labels.iloc[idx])
        if name != "region":
            key = f"check_{name}"
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - start
        score[idx] = verdict["score"].to_numpy(dtype=float)
        failed = ~verdict["keep"].to_numpy(dtype=bool)
        reason = verdict["reason"].to_numpy(dtype=object)
        first = failed & alive[idx]  # rows this check is the first to reject
        primary[idx[first]] = reason[first]
        alive[idx[failed]] = False
        if check_all:
            column = np.full(n, "", dtype=object)
            column[idx[failed]] = reason[failed]
            found.append(column)
    if check_all and len(found) > 1:
        every = np.array(["; ".join(r for r in row if r) for row in zip(*found)], dtype=object)
    else:
        every = primary.copy()
    return alive, primary, every, scores, ran


@dataclass
class LoopContext:
    """What every region's loop shares: the real table, the components and the budget."""

    table: pd.DataFrame
    generator: BaseGenerator
    labels: LabelStage
    row_gates: list[RowGate]
    rejected: RejectedRows
    max_rounds: int
    max_rows_per_round: int
    timings: dict
    rng: np.random.RandomState
    check_all: bool = False


def _next_quota(stats: RegionStats, remaining: int, kept_by_round: list[int],
                max_rounds: int) -> int | str:
    """Rows the next round asks for (the rows still missing over the acceptance so far,
    x1.1; 50% assumed at first, at least 5%), or why the loop stops (a str)."""
    if stats.rounds >= max_rounds:
        return f"budget: max_rounds={max_rounds} reached"
    if kept_by_round[-2:] == [0, 0]:
        return (f"no progress: two rounds in a row kept no row ({stats.generated} generated; "
                "see rejected.parquet for the reasons)")
    rate = (stats.kept_for_target / stats.generated) if stats.generated and \
        stats.kept_for_target else (0.5 if not stats.generated else 0.05)
    return math.ceil(remaining / max(rate, 0.05) * 1.1)


def _record(stats: RegionStats, rows, labels, keep, primary, every, scores, remaining,
            ctx: LoopContext) -> pd.DataFrame:
    """Book one gated batch: provenance columns, kept rows, rejected rows, counts."""
    region = stats.region
    target = region.target_column
    intended_p = ctx.labels.confidence(rows, labels, target)
    if "label" in scores:  # what the label check scored; elsewhere what it would have
        checked = ~np.isnan(scores["label"])
        intended_p[checked] = scores["label"][checked]
    rows = rows.assign(**{f"_score_{name}": value for name, value in scores.items()})
    rows = rows.assign(_region=region.id, _generator=ctx.generator.name, _round=stats.rounds,
                       _label=labels["label"].to_numpy(), _label_confidence=intended_p,
                       _rule=labels["rule"].to_numpy())
    passing = np.flatnonzero(keep)
    take, surplus = passing[:remaining], passing[remaining:]
    rows = ctx.labels.apply(rows, labels, take)
    primary[surplus] = "surplus: region target already met"
    every[surplus] = primary[surplus]
    rejected_mask = np.ones(len(rows), bool)
    rejected_mask[take] = False
    for gate in ctx.row_gates:  # e.g. novelty: a later copy of a kept row is a repeat
        gate.accepted(rows.iloc[take])
    ctx.rejected.append(rows[rejected_mask].assign(
        _reason=primary[rejected_mask], _reason_code=reason_codes(primary[rejected_mask]),
        _reasons=every[rejected_mask]))
    stats.reasons.update(_reason_counts(primary[rejected_mask]))
    # a row relabelled to another class is kept but does not count towards this region
    counted = int((rows[target].iloc[take] == region.label).sum()) if len(take) else 0
    stats.kept_for_target += counted
    stats.kept += len(take)
    return rows.iloc[take]


def _one_batch(stats: RegionStats, n_request: int, ctx: LoopContext):
    """Generate, label and gate one batch; returns (kept rows, rows counted) or a stop str."""
    region = stats.region
    start = time.perf_counter()
    rows = ctx.generator.sample(n_request, region)
    ctx.timings["generate"] += time.perf_counter() - start
    if len(rows) == 0:
        return ctx.generator.shortfall(region.id) or (
            f"generator '{ctx.generator.name}' returned no rows")
    stats.generated += len(rows)
    stats.sample_candidates(rows, ctx.rng)
    start = time.perf_counter()
    labels = ctx.labels.labeler.label(rows)
    ctx.timings["label"] += time.perf_counter() - start
    labelled = labels["label"].notna().to_numpy()
    same = (labels["label"].astype(str).to_numpy()
            == rows[region.target_column].astype(str).to_numpy())
    stats.agreement += (len(rows), labelled.sum(), (same & labelled).sum())
    start = time.perf_counter()
    keep, primary, every, scores, ran = gate_round(rows, labels, ctx.row_gates, region,
                                                   ctx.timings, ctx.check_all)
    ctx.timings["gate"] += time.perf_counter() - start
    for gate in ctx.row_gates:
        if gate.name in ran and gate.report_:
            stats.gate_reports.setdefault(gate.name, []).extend(
                {"round": stats.rounds, **entry} for entry in gate.report_)
    before = stats.kept_for_target
    kept = _record(stats, rows, labels, keep, primary, every, scores,
                   stats.requested - stats.kept_for_target, ctx)
    return kept, stats.kept_for_target - before


def run_region(region: Region, need: int, ctx: LoopContext, progress: bool) -> tuple:
    """The budgeted generate -> label -> gate loop for one region.

    Gates that compare rows with real ones (``set_reference``) and the label check
    compare a sub-class region's rows with that region's real rows, not the whole
    class. A strict label check that keeps none of the region's own real rows stops
    the region before anything is generated. Returns (kept rows or None, stats).
    """
    from augment._progress import row_bar

    stats = RegionStats(region=region, requested=need)
    real = ctx.table[region.contains(ctx.table).to_numpy()] if region.kind != "class" else None
    for gate in ctx.row_gates:
        gate.set_reference(real, key=region.id)
    stats.real_rows_backed = ctx.labels.enter(region, ctx.table)
    kept_parts = []
    if need and stats.real_rows_backed == 0:
        stats.stopped = (f"not generated: the strict label check keeps none of the region's "
                         f"{region.count} real rows (gate.acceptance=match judges the region "
                         "against its own rows)")
        need = 0
    bar = row_bar(need, f"{region.id}", progress)
    quota, kept_by_round = 0, []
    while stats.kept_for_target < need:
        if quota <= 0:
            quota = _next_quota(stats, need - stats.kept_for_target, kept_by_round,
                                ctx.max_rounds)
            if isinstance(quota, str):
                stats.stopped = quota
                break
            stats.rounds += 1
            kept_by_round.append(0)
        n_request = int(min(ctx.max_rows_per_round, quota))
        quota -= n_request
        out = _one_batch(stats, n_request, ctx)
        if isinstance(out, str):
            stats.stopped = out
            break
        kept, counted = out
        kept_parts.append(kept)
        kept_by_round[-1] += counted
        bar.update(counted)
    bar.close()
    for gate in ctx.row_gates:
        gate.set_reference(None)
    ctx.labels.leave()
    kept = pd.concat(kept_parts, ignore_index=True) if kept_parts else None
    return kept, stats
