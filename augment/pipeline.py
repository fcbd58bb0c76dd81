"""Wires the stages: profile -> generate -> label -> gate (looped) -> batch checks -> assemble."""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from augment._assemble import PROVENANCE, assemble, synthetic_weights
from augment._progress import StageBar, row_bar
from augment._rejected import RejectedRows
from augment.data import Schema
from augment.gates import BatchGate, RowGate, row_result
from augment.gates._label import class_proba
from augment.generators import BaseGenerator
from augment.labelers import BaseLabeler
from augment.profile import Region

__all__ = ["AugmentResult", "run_pipeline"]

STAGES = ["fit gates", "fit labeler", "fit generator", "generate + label + gate", "batch checks",
          "assemble"]


@dataclass
class AugmentResult:
    """Everything one run produced; written to a run directory by :mod:`augment.report`.

    Per region, ``generated = kept + rejected + surplus``: surplus rows passed every
    gate after the region's target was already met (they are in ``rejected`` with
    reason ``surplus``, not counted as rejected by a gate).
    """

    augmented: pd.DataFrame
    rejected_rows: RejectedRows
    schema: Schema
    regions: list[dict]
    batch: list[dict]
    generator: dict
    labeler: dict
    gates: dict
    timings: dict
    warnings: list[str] = field(default_factory=list)
    consistency: dict = field(default_factory=dict)

    @property
    def rejected(self) -> pd.DataFrame:
        """Every rejected or surplus row with ``_reason`` (loads rows spilled to disk)."""
        return self.rejected_rows.frame()

    @property
    def synthetic(self) -> pd.DataFrame:
        return self.augmented[self.augmented["_synthetic"]]

    def counts(self) -> dict:
        """Totals over regions: requested, generated, kept, rejected by reason."""
        reasons: Counter = Counter()
        for region in self.regions:
            reasons.update(region["rejected_by_reason"])
        total = {key: sum(r[key] for r in self.regions)
                 for key in ("requested", "generated", "kept", "surplus")}
        return {"real_rows": int((~self.augmented["_synthetic"]).sum()), **total,
                "rejected": sum(reasons.values()),
                "rejected_by_reason": dict(reasons.most_common())}


def _reason_kind(reason: str) -> str:
    """``"validity: x=3 above ..."`` -> ``"validity"`` (the gate that rejected)."""
    return reason.split(":", 1)[0]


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
    ordered = sorted(row_gates, key=lambda g: getattr(g, "cost", 2))  # stable: ties keep order
    return checks + [(gate.name, gate.check) for gate in ordered]


def _gate_round(rows: pd.DataFrame, labels: pd.DataFrame, row_gates: list[RowGate],
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


def _apply_policy(rows: pd.DataFrame, labels: pd.DataFrame, take: np.ndarray, label_gate):
    """Give the kept rows the label, confidence (and probabilities) the label policy assigns."""
    target = label_gate.schema_.target
    assigned = label_gate.assign(rows.iloc[take], labels.iloc[take])
    rows = rows.copy()
    index = rows.index[take]
    rows["_intended"] = rows[target]
    rows[target] = rows[target].astype(object)  # a relabel may not fit a bool/int dtype
    rows.loc[index, target] = assigned["label"].to_numpy()
    rows.loc[index, "_label_confidence"] = assigned["confidence"].to_numpy(dtype=float)
    rows["_relabelled"] = False
    rows.loc[index, "_relabelled"] = assigned["relabelled"].to_numpy(dtype=bool)
    for column in assigned.columns:
        if column.startswith("_proba_"):
            rows[column] = np.nan
            rows.loc[index, column] = assigned[column].to_numpy(dtype=float)
    return rows


def _generate_region(region: Region, need: int, *, table, generator, labeler, row_gates,
                     rejected: RejectedRows, max_rounds, max_rows_per_round, progress, timings,
                     check_all=False):
    """The budgeted generate -> label -> gate loop for one region.

    Gates that compare rows with real ones (``set_reference``) compare a sub-class
    region's rows with that region's real rows, not the whole class. Rejected and
    surplus rows go to ``rejected``; ``stats["reasons"]`` counts them by gate.
    Returns (kept rows, stats).
    """
    kept_parts = []
    reasons: Counter = Counter()
    agreement = np.zeros(3, dtype=np.int64)  # rows, labelled, labelled as intended
    n_kept, n_taken, generated, rounds = 0, 0, 0, 0
    label_gate = next((g for g in row_gates if g.name == "label"), None)
    gate_reports: dict[str, list] = {}
    for gate in row_gates:
        if hasattr(gate, "set_reference"):
            gate.set_reference(table[region.contains(table)] if region.kind != "class" else None,
                               key=region.id)
    stop = "target met"
    bar = row_bar(need, f"{region.id}", progress)
    quota = 0  # rows the current round still asks for; it is sent in batches
    kept_by_round: list[int] = []
    while n_kept < need:
        remaining = need - n_kept
        if quota <= 0:
            if rounds >= max_rounds:
                stop = f"budget: max_rounds={max_rounds} reached"
                break
            if kept_by_round[-2:] == [0, 0]:
                stop = (f"no progress: two rounds in a row kept no row ({generated} generated; "
                        "see rejected.parquet for the reasons)")
                break
            rounds += 1
            kept_by_round.append(0)
            rate = (n_kept / generated) if generated and n_kept else (
                0.5 if not generated else 0.05)
            quota = math.ceil(remaining / max(rate, 0.05) * 1.1)
        n_request = int(min(max_rows_per_round, quota))
        quota -= n_request
        start = time.perf_counter()
        rows = generator.sample(n_request, region)
        timings["generate"] += time.perf_counter() - start
        if len(rows) == 0:
            reason = getattr(generator, "acceptance_", {}).get(region.id, {}).get("shortfall")
            stop = reason or f"generator '{generator.name}' returned no rows"
            break
        generated += len(rows)
        start = time.perf_counter()
        labels = labeler.label(rows)
        timings["label"] += time.perf_counter() - start
        labelled = labels["label"].notna().to_numpy()
        same = (labels["label"].astype(str).to_numpy()
                == rows[region.target_column].astype(str).to_numpy())
        agreement += (len(rows), labelled.sum(), (same & labelled).sum())
        start = time.perf_counter()
        keep, primary, every, scores, ran = _gate_round(rows, labels, row_gates, region,
                                                        timings, check_all)
        timings["gate"] += time.perf_counter() - start
        for gate in row_gates:
            if gate.name in ran and getattr(gate, "report_", None):
                gate_reports.setdefault(gate.name, []).extend(
                    {"round": rounds, **entry} for entry in gate.report_)
        # what the label gate scores (where it did not run: what it would have scored)
        intended_p = (labels["confidence"].to_numpy(dtype=float).copy()
                      if label_gate is None or label_gate.policy == "relabel"
                      else class_proba(labels, rows[region.target_column]))
        if "label" in scores:
            checked = ~np.isnan(scores["label"])
            intended_p[checked] = scores["label"][checked]
        # per-row gate scores travel with every row (kept and rejected): the audit trail
        rows = rows.assign(**{f"_score_{name}": value for name, value in scores.items()})
        rows = rows.assign(_region=region.id, _generator=generator.name, _round=rounds,
                           _label=labels["label"].to_numpy(), _label_confidence=intended_p,
                           _rule=labels["rule"].to_numpy())
        passing = np.flatnonzero(keep)
        take, surplus = passing[:remaining], passing[remaining:]
        if label_gate is not None and len(take):
            rows = _apply_policy(rows, labels, take, label_gate)
        primary[surplus] = "surplus: region target already met"
        every[surplus] = primary[surplus]
        rejected_mask = np.ones(len(rows), bool)
        rejected_mask[take] = False
        kept_parts.append(rows.iloc[take])
        for gate in row_gates:  # e.g. novelty: a later copy of a kept row is a repeat
            if callable(getattr(gate, "accepted", None)):
                gate.accepted(rows.iloc[take])
        rejected.append(rows[rejected_mask].assign(_reason=primary[rejected_mask],
                                                   _reasons=every[rejected_mask]))
        reasons.update(_reason_counts(primary[rejected_mask]))
        # a row relabelled to another class is kept but does not count towards this region
        counted = (int((rows[region.target_column].iloc[take] == region.label).sum())
                   if len(take) else 0)
        n_kept += counted
        n_taken += len(take)
        kept_by_round[-1] += counted
        bar.update(counted)
    bar.close()
    for gate in row_gates:
        if hasattr(gate, "set_reference"):
            gate.set_reference(None)
    kept = pd.concat(kept_parts, ignore_index=True) if kept_parts else None
    stats = {**region.to_dict(), "requested": need, "generated": generated, "kept": n_taken,
             "kept_for_target": n_kept, "relabelled_out": n_taken - n_kept,
             "rounds": rounds, "stopped": stop, "shortfall": need - n_kept,
             "real_rows_backed": _real_rows_backed(region, table, labeler, label_gate),
             "gate_reports": gate_reports, "reasons": reasons,
             "agreement_counts": [int(v) for v in agreement]}
    return kept, stats


def _real_rows_backed(region: Region, table: pd.DataFrame, labeler, label_gate) -> int | None:
    """How many of the region's real rows the label check would keep (None: no check).

    A region whose own real rows the labeler does not back rarely gets synthetic rows
    it backs: the number explains a shortfall.
    """
    if label_gate is None or label_gate.policy != "agree":
        return None
    real = table[region.contains(table).to_numpy()]
    if not len(real):
        return 0
    return int(label_gate.check(real, labeler.label(real))["keep"].sum())


def _consistency(stats: list[dict]) -> dict:
    """Agreement of the labeler with the class each generated row was meant for, per region.

    Over every generated row (kept, rejected and surplus): ``rows``, ``abstained``
    and ``agreement`` (share of labelled rows whose label is the intended class).
    """
    def rate(agree: int, labelled: int) -> float | None:
        return round(agree / labelled, 4) if labelled else None

    totals = np.zeros(3, dtype=np.int64)
    by_region = {}
    for region_stats in stats:
        rows, labelled, agree = region_stats.pop("agreement_counts")
        totals += (rows, labelled, agree)
        if rows:
            by_region[region_stats["id"]] = {"rows": rows, "agreement": rate(agree, labelled)}
    if not totals[0]:
        return {}
    return {"rows": int(totals[0]), "abstained": int(totals[0] - totals[1]),
            "agreement": rate(int(totals[2]), int(totals[1])), "by_region": by_region}


def _concat(parts: list, columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _backed_mask(table: pd.DataFrame, features: list[str], labeler: BaseLabeler,
                 row_gates: list[RowGate]) -> np.ndarray | None:
    """Real rows the label gate would keep for their own class (None: no ``agree`` label gate).

    For generators that fit on those rows only (``wants_backed``, e.g.
    ``gaussian_copula`` with ``fit_on=backed``).
    """
    gate = next((g for g in row_gates if g.name == "label"), None)
    if gate is None or getattr(gate, "policy", None) != "agree":
        return None
    return gate.check(table, labeler.label(table[features]))["keep"].to_numpy(dtype=bool)


def run_pipeline(table: pd.DataFrame, schema: Schema, regions: list[Region], *,
                 generator: BaseGenerator, labeler: BaseLabeler, row_gates: list[RowGate],
                 batch_gates: list[BatchGate], batch_on_fail: str = "warn",
                 weight_mode: str = "balance", max_rounds: int = 5,
                 max_rows_per_round: int = 50_000, check_all: bool = False,
                 spill_rows: int | None = None, progress: bool = True) -> AugmentResult:
    """Run every stage on a validated table; inputs were checked by the caller.

    ``regions`` holds one ``kind="class"`` region per class to grow and any
    sub-class regions. Sub-regions are filled first; their kept rows count
    towards their class's target, and the class region fills the rest.
    ``table`` holds the feature columns and the target column; it is never modified.
    ``check_all`` sends every row through every row gate (all reasons and scores
    recorded) instead of stopping at the first gate that rejects it. Rejected
    rows past ``spill_rows`` (default :data:`augment._rejected.SPILL_ROWS`) wait in
    Parquet parts on disk (see :class:`~augment._rejected.RejectedRows`).
    """
    timings = {"generate": 0.0, "label": 0.0, "gate": 0.0}
    stages = StageBar(STAGES, progress)
    features = schema.features
    warnings_: list[str] = []

    def timed(name, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        timings[name] = round(time.perf_counter() - start, 3)
        return out

    # cheap fits first: a gate that refuses its config (e.g. a constraint real rows
    # break) fails before the generator trains
    stages.next("fit gates")
    for gate in row_gates:
        timed(f"fit_gate_{gate.name}", gate.fit, table, schema)
    stages.next("fit labeler")
    timed("fit_labeler", labeler.fit, table[features], table[schema.target], schema)
    if labeler.quality_.get("weak_reason"):
        warnings_.append(f"labeler: {labeler.quality_['weak_reason']}")
    stages.next("fit generator")
    if getattr(generator, "wants_backed", False):  # fit on the rows the labeler backs
        generator.set_backed(_backed_mask(table, features, labeler, row_gates))
    timed("fit_generator", generator.fit, table, schema, regions)

    stages.next("generate + label + gate")
    classes = [r for r in regions if r.kind == "class"]
    ordered: list[Region] = []
    kept_parts, stats = [], []
    rejected_rows = RejectedRows(spill_rows, empty_columns=[
        *table.columns, "_region", "_generator", "_round", "_label", "_label_confidence", "_rule",
        "_reason", "_reasons"])
    loop_start = time.perf_counter()
    for parent in classes:
        subs = [r for r in regions if r.kind != "class" and r.label == parent.label]
        done = 0
        for region in [*subs, parent]:
            need = region.needed if region is not parent else max(parent.needed - done, 0)
            kept, region_stats = _generate_region(
                region, need, table=table, generator=generator, labeler=labeler,
                row_gates=row_gates, rejected=rejected_rows,
                max_rounds=max_rounds, max_rows_per_round=max_rows_per_round,
                progress=progress, timings=timings, check_all=check_all)
            done += region_stats["kept_for_target"]
            kept_parts.append(kept)
            stats.append(region_stats)
            ordered.append(region)
    kept_loop = _concat(kept_parts, [*table.columns])
    # group by the label each kept row carries (relabel may move rows to another class)
    kept_by_label = {label: group for label, group in kept_loop.groupby(
        schema.target, sort=False)} if len(kept_loop) else {}
    timings["loop"] = round(time.perf_counter() - loop_start, 3)

    stages.next("batch checks")
    start = time.perf_counter()
    batch = []
    for label, kept in list(kept_by_label.items()):
        region_id = f"class={label}"
        real_rows = table[table[schema.target] == label]
        results = [g.check(real_rows, kept, schema, region_id) for g in batch_gates]
        batch.extend(r.to_dict() for r in results)
        failed = [r for r in results if r.passed is False]
        for r in failed:
            warnings_.append(f"{region_id}: batch check {r.gate} failed: {r.message}"
                             + (" (rows rejected)" if batch_on_fail == "reject" else
                                " (rows kept: batch_on_fail=warn)"))
        if failed and batch_on_fail == "reject":
            reason = "batch: " + " | ".join(f"{r.gate}: {r.message}" for r in failed)
            rejected_rows.append(kept.assign(_reason=reason, _reasons=reason))
            kept_by_label[label] = kept.iloc[:0]
            moved = kept["_region"].value_counts()
            for region_stats in stats:
                if region_stats["id"] in moved.index:
                    region_stats["kept"] -= int(moved[region_stats["id"]])
                    region_stats["reasons"]["batch"] += int(moved[region_stats["id"]])
                    region_stats["kept_for_target"] = min(region_stats["kept_for_target"],
                                                          region_stats["kept"])
                    region_stats["shortfall"] = (region_stats["requested"]
                                                 - region_stats["kept_for_target"])
                    region_stats["stopped"] = "batch check failed; rows rejected"
    timings["batch_checks"] = round(time.perf_counter() - start, 3)

    stages.next("assemble")
    start = time.perf_counter()
    real_weight = pd.Series(1.0, index=table.index)
    kept_final = []
    for label, kept in kept_by_label.items():
        if len(kept) == 0:
            continue
        weights, real_w = synthetic_weights(kept["_label_confidence"].to_numpy(dtype=float),
                                            int(schema.class_counts[label]), weight_mode)
        real_weight[(table[schema.target] == label).to_numpy()] = real_w
        kept_final.append(kept.assign(_weight=weights))
    kept_all = _concat(kept_final, [*table.columns, *PROVENANCE])
    augmented = assemble(table, kept_all, real_weight, schema.target)
    synthetic = augmented[augmented["_synthetic"]]
    for region_stats, region in zip(stats, ordered):
        reasons = region_stats.pop("reasons")
        region_stats["surplus"] = int(reasons.pop("surplus", 0))
        region_stats["rejected"] = int(sum(reasons.values()))
        region_stats["rejected_by_reason"] = dict(reasons.most_common())
        region_stats["kept_in_region"] = int(region.contains(synthetic).sum()) if len(
            synthetic) else 0
        region_stats["after"] = region.count + region_stats["kept_in_region"]
        generated = region_stats["generated"]
        region_stats["yield"] = round(region_stats["kept"] / generated, 4) if generated else None
        region_stats["pass_rate"] = (round((region_stats["kept"] + region_stats["surplus"])
                                           / generated, 4) if generated else None)
        if region_stats["shortfall"] > 0:
            backed = region_stats["real_rows_backed"]
            warnings_.append(f"{region.id}: kept {region_stats['kept']} of "
                             f"{region_stats['requested']} requested rows "
                             f"({region_stats['stopped']})" + (
                                 "" if backed is None else
                                 f"; the label check keeps {backed} of its {region.count} "
                                 "real rows"))
    consistency = _consistency(stats)
    timings["assemble"] = round(time.perf_counter() - start, 3)
    for key in ("generate", "label", "gate", *(k for k in timings if k.startswith("check_"))):
        timings[key] = round(timings[key], 3)
    stages.close()
    return AugmentResult(
        augmented=augmented,
        rejected_rows=rejected_rows,
        schema=schema,
        regions=stats,
        batch=batch,
        generator=generator.describe(),
        labeler=labeler.describe(),
        gates={"row": [g.name for g in row_gates], "batch": [g.name for g in batch_gates],
               "batch_on_fail": batch_on_fail, "params": {
                   g.name: g.get_params() for g in [*row_gates, *batch_gates]},
               "details": {g.name: g.describe() for g in row_gates
                           if callable(getattr(g, "describe", None))}},
        timings=timings,
        warnings=warnings_,
        consistency=consistency,
    )
