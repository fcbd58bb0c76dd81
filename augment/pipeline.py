"""Wires the stages: profile -> generate -> label -> gate (looped) -> batch checks -> assemble."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment._assemble import PROVENANCE, assemble, synthetic_weights
from augment._label_stage import LabelStage
from augment._progress import StageBar
from augment._region_loop import LoopContext, RegionStats, run_region
from augment._rejected import RejectedRows
from augment.data import Schema
from augment.gates import BatchGate, RowGate, measure_distortion
from augment.generators import BaseGenerator
from augment.labelers import BaseLabeler
from augment.profile import Region

__all__ = ["AugmentResult", "run_pipeline"]

STAGES = ["fit gates", "fit labeler", "fit generator", "generate + label + gate", "batch checks",
          "what the gates did", "assemble"]


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
    distortion: list[dict] = field(default_factory=list)
    candidates: dict = field(default_factory=dict)

    @property
    def rejected(self) -> pd.DataFrame:
        """Every rejected or surplus row with ``_reason`` (loads rows spilled to disk)."""
        return self.rejected_rows.frame()

    @property
    def synthetic(self) -> pd.DataFrame:
        return self.augmented[self.augmented["_synthetic"]]

    def verdicts(self) -> list[dict]:
        """One line per grown class a busy user can act on: kept rows ``trustworthy``,
        ``usable with caution`` or ``not trustworthy``, with the numbers that decided it
        (the labeler's out-of-fold AUC for the class, a fresh classifier's AUC of kept rows
        against real ones, distortion findings, missing rows)."""
        aucs = (self.labeler.get("quality") or {}).get("class_auc") or {}
        out = []
        for region in (r for r in self.regions if r["kind"] == "class"):
            label = region["label"]
            group = [r for r in self.regions if r["label"] == label]
            distortion = next((d for d in self.distortion if d["region"] == region["id"]), None)
            out.append(_verdict(label, aucs.get(label), distortion,
                                sum(r["shortfall"] for r in group)))
        return out

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


#: Verdict bars (see :meth:`AugmentResult.verdicts`): a labeler that separates a class with
#: out-of-fold ROC-AUC below WEAK_LABELER_AUC cannot vouch for labels; kept rows a fresh
#: classifier tells from real ones with AUC above DETECTABLE_AUC do not look like the class.
WEAK_LABELER_AUC, GOOD_LABELER_AUC = 0.7, 0.8
DETECTABLE_AUC, REALISTIC_AUC = 0.95, 0.75


def _verdict(label: str, labeler_auc, distortion: dict | None, shortfall: int) -> dict:
    auc = ((distortion or {}).get("auc") or {}).get("kept")
    findings = (distortion or {}).get("findings", [])
    numbers = []
    if labeler_auc is not None:
        numbers.append(f"the labeler tells the class apart with out-of-fold AUC "
                       f"{labeler_auc:.2f}")
    if auc is not None:
        numbers.append(f"a fresh classifier tells kept rows from real ones with AUC {auc:.2f}")
    if (labeler_auc is not None and labeler_auc < WEAK_LABELER_AUC) or (
            auc is not None and auc >= DETECTABLE_AUC):
        verdict = "not trustworthy"
    elif (labeler_auc is not None and labeler_auc >= GOOD_LABELER_AUC and auc is not None
          and auc <= REALISTIC_AUC and not findings and not shortfall):
        verdict = "trustworthy"
    else:
        verdict = "usable with caution"
    extra = []
    if findings:
        extra.append(f"{len(findings)} distortion finding(s)")
    if shortfall:
        extra.append(f"{shortfall} requested rows missing")
    text = f"class={label}: kept rows {verdict} (" + "; ".join(numbers + extra) + ")"
    return {"class": label, "verdict": verdict, "labeler_auc": labeler_auc, "kept_auc": auc,
            "findings": len(findings), "shortfall": shortfall, "text": text}


def _consistency(stats: list[RegionStats]) -> dict:
    """Agreement of the labeler with the class each generated row was meant for, per region.

    Over every generated row (kept, rejected and surplus): ``rows``, ``abstained``
    and ``agreement`` (share of labelled rows whose label is the intended class).
    """
    def rate(agree: int, labelled: int) -> float | None:
        return round(agree / labelled, 4) if labelled else None

    totals = np.zeros(3, dtype=np.int64)
    by_region = {}
    for region_stats in stats:
        rows, labelled, agree = (int(v) for v in region_stats.agreement)
        totals += (rows, labelled, agree)
        if rows:
            by_region[region_stats.region.id] = {"rows": rows, "agreement": rate(agree, labelled)}
    if not totals[0]:
        return {}
    return {"rows": int(totals[0]), "abstained": int(totals[0] - totals[1]),
            "agreement": rate(int(totals[2]), int(totals[1])), "by_region": by_region}


def _concat(parts: list, columns: list[str]) -> pd.DataFrame:
    parts = [p for p in parts if p is not None and len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)


def _fit_components(table, schema, regions, generator, labels: LabelStage, row_gates, stages,
                    timed, warnings_) -> None:
    """Fit gates, labeler and generator, cheapest first, and decide before generating
    whether the labeler can vouch for every class to grow."""
    # a gate that refuses its config (e.g. a constraint real rows break) fails before
    # the generator trains
    stages.next("fit gates")
    for gate in row_gates:
        timed(f"fit_gate_{gate.name}", gate.fit, table, schema)
    stages.next("fit labeler")
    timed("fit_labeler", labels.fit, table, schema)
    warnings_.extend(labels.warnings())
    labels.check_learnable(regions)
    stages.next("fit generator")
    if generator.wants_backed:  # fit on the rows the labeler backs
        generator.set_backed(labels.backed_mask(table))
    timed("fit_generator", generator.fit, table, schema, regions)


def _fill_regions(regions: list[Region], ctx: LoopContext, progress: bool):
    """Every class's sub-regions first (their kept rows count towards the class), then the
    class itself for the rest. Returns (kept rows per region, stats per region)."""
    kept_parts, stats = [], []
    for parent in [r for r in regions if r.kind == "class"]:
        subs = [r for r in regions if r.kind != "class" and r.label == parent.label]
        done = 0
        for region in [*subs, parent]:
            need = region.needed if region is not parent else max(parent.needed - done, 0)
            kept, region_stats = run_region(region, need, ctx, progress)
            done += region_stats.kept_for_target
            kept_parts.append(kept)
            stats.append(region_stats)
    return kept_parts, stats


def _moves(generator: BaseGenerator, regions) -> dict:
    """Per class, the strongest DCR move its regions' rows got (generators/_dcr.py)."""
    out: dict = {}
    for region in regions:
        strength = getattr(generator, "dcr_", {}).get(region.id, {}).get("strength") or 0.0
        out[region.label] = max(out.get(region.label, 0.0), strength)
    return out


def _batch_checks(table, schema, kept_by_label: dict, batch_gates, batch_on_fail,
                  stats: list[RegionStats], rejected: RejectedRows, warnings_,
                  moves: dict | None = None) -> list[dict]:
    """Each class's kept rows against its real rows; ``reject`` moves a failing class's
    rows to ``rejected``. A failure of rows the generator moved off the real rows (``moves``:
    the strength per class) says so, and how to keep the pathway's own rows."""
    batch = []
    for label, kept in list(kept_by_label.items()):
        region_id = f"class={label}"
        real_rows = table[table[schema.target] == label]
        results = [g.check(real_rows, kept, schema, region_id) for g in batch_gates]
        batch.extend(r.to_dict() for r in results)
        failed = [r for r in results if r.passed is False]
        strength = (moves or {}).get(label, 0.0)
        hint = (f"; the generator moved its rows off the real rows (DCR move strength "
                f"{strength:g}), which can cost this: generator.dcr_target=null keeps the "
                "pathway's own rows (the near-copy check then rejects copies)"
                if failed and strength else "")
        for r in failed:
            warnings_.append(f"{region_id}: batch check {r.gate} failed: {r.message}"
                             + (" (rows rejected)" if batch_on_fail == "reject" else
                                " (rows kept: batch_on_fail=warn)") + hint)
        if failed and batch_on_fail == "reject":
            reason = "batch: " + " | ".join(f"{r.gate}: {r.message}" for r in failed)
            rejected.append(kept.assign(_reason=reason, _reason_code="batch", _reasons=reason))
            kept_by_label[label] = kept.iloc[:0]
            moved = kept["_region"].value_counts()
            for region_stats in stats:
                if region_stats.region.id in moved.index:
                    region_stats.reject_batch(int(moved[region_stats.region.id]),
                                              "batch check failed; rows rejected")
    return batch


def _candidate_mix(group: list[RegionStats], rng) -> pd.DataFrame | None:
    """A class's candidates mixed like its requests: each region's sample in proportion to
    the rows asked of it (so a region the gates emptied still shows among candidates)."""
    parts = [(s.candidates, s.requested) for s in group
             if s.candidates is not None and len(s.candidates) and s.requested]
    if not parts:
        return None
    scale = min(len(c) / n for c, n in parts)
    picks = []
    for frame, n in parts:
        size = max(round(n * scale), 1)
        picks.append(frame.iloc[np.sort(rng.choice(len(frame), size, replace=False))])
    return pd.concat(picks, ignore_index=True)


def _distortion(table, schema, kept_by_label: dict, stats: list[RegionStats], regions, rng,
                warnings_) -> tuple[list[dict], dict]:
    """What the gates did, per class and per sub-class region: candidates against kept
    rows, each against the same real rows (:func:`measure_distortion`)."""
    out, mixes = [], {}
    features = [*schema.features, schema.target]
    for parent in [r for r in regions if r.kind == "class"]:
        group = [s for s in stats if s.region.label == parent.label]
        mix = _candidate_mix(group, rng)
        if mix is None:
            continue
        mixes[str(parent.label)] = mix[features]
        kept = kept_by_label.get(parent.label, table.iloc[:0])
        subs = [s.region for s in group if s.region.kind != "class"]
        real = table[table[schema.target] == parent.label]
        out.append(measure_distortion(real, mix, kept, schema, parent.id, regions=subs,
                                      random_state=rng))
        for s in group:
            if s.region.kind == "class" or s.candidates is None:
                continue
            own = kept[(kept["_region"] == s.region.id).to_numpy()] if len(kept) else kept
            out.append(measure_distortion(table[s.region.contains(table).to_numpy()],
                                          s.candidates, own, schema, s.region.id,
                                          random_state=rng))
    for entry in out:
        warnings_.extend(entry["findings"])
    return out, mixes


def _assemble(table, schema, kept_by_label: dict, weight_mode: str) -> pd.DataFrame:
    """Real rows unchanged, then every class's kept rows with their weights."""
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
    return assemble(table, kept_all, real_weight, schema.target)


def _shortfall_warnings(records: list[dict]) -> list[str]:
    out = []
    for r in records:
        if r["shortfall"] > 0:
            backed = r["real_rows_backed"]
            out.append(f"{r['id']}: kept {r['kept']} of {r['requested']} requested rows "
                       f"({r['stopped']})" + ("" if backed is None else
                                              f"; the label check keeps {backed} of its "
                                              f"{r['count']} real rows"))
    return out


def run_pipeline(table: pd.DataFrame, schema: Schema, regions: list[Region], *,
                 generator: BaseGenerator, labeler: BaseLabeler, row_gates: list[RowGate],
                 batch_gates: list[BatchGate], batch_on_fail: str = "reject",
                 weight_mode: str = "balance", max_rounds: int = 5,
                 max_rows_per_round: int = 50_000, check_all: bool = False,
                 spill_rows: int | None = None, progress: bool = True,
                 random_state=None) -> AugmentResult:
    """Run every stage on a validated table; inputs were checked by the caller.

    ``regions`` holds one ``kind="class"`` region per class to grow and any
    sub-class regions. Sub-regions are filled first; their kept rows count
    towards their class's target, and the class region fills the rest.
    ``table`` holds the feature columns and the target column; it is never modified.
    ``check_all`` sends every row through every row gate (all reasons and scores
    recorded) instead of stopping at the first gate that rejects it. Rejected
    rows past ``spill_rows`` (default :data:`augment._rejected.SPILL_ROWS`) wait in
    Parquet parts on disk (see :class:`~augment._rejected.RejectedRows`).
    ``random_state`` seeds the samples that measure what the gates did.
    """
    timings = {"generate": 0.0, "label": 0.0, "gate": 0.0}
    stages = StageBar(STAGES, progress)
    warnings_: list[str] = []
    rng = check_random_state(random_state)

    def timed(name, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        timings[name] = round(time.perf_counter() - start, 3)
        return out

    labels = LabelStage(labeler, row_gates)
    _fit_components(table, schema, regions, generator, labels, row_gates, stages, timed,
                    warnings_)
    stages.next("generate + label + gate")
    rejected = RejectedRows(spill_rows, empty_columns=[
        *table.columns, "_region", "_generator", "_round", "_label", "_label_confidence", "_rule",
        "_reason", "_reason_code", "_reasons"])
    ctx = LoopContext(table, generator, labels, row_gates, rejected, max_rounds,
                      max_rows_per_round, timings, rng, check_all)
    kept_parts, stats = timed("loop", _fill_regions, regions, ctx, progress)
    kept_loop = _concat(kept_parts, [*table.columns])
    # group by the label each kept row carries (relabel may move rows to another class)
    kept_by_label = {label: group for label, group in kept_loop.groupby(
        schema.target, sort=False)} if len(kept_loop) else {}
    stages.next("batch checks")
    batch = timed("batch_checks", _batch_checks, table, schema, kept_by_label, batch_gates,
                  batch_on_fail, stats, rejected, warnings_, _moves(generator, regions))
    stages.next("what the gates did")
    distortion, candidates = timed("distortion", _distortion, table, schema, kept_by_label,
                                   stats, regions, rng, warnings_)
    stages.next("assemble")
    augmented = timed("assemble", _assemble, table, schema, kept_by_label, weight_mode)
    synthetic = augmented[augmented["_synthetic"]]
    records = [s.to_dict(synthetic) for s in stats]
    warnings_.extend(_shortfall_warnings(records))
    for key in ("generate", "label", "gate", *(k for k in timings if k.startswith("check_"))):
        timings[key] = round(timings[key], 3)
    stages.close()
    return AugmentResult(
        augmented=augmented, rejected_rows=rejected, schema=schema, regions=records,
        batch=batch, generator=generator.describe(), labeler=labeler.describe(),
        gates={"row": [g.name for g in row_gates], "batch": [g.name for g in batch_gates],
               "batch_on_fail": batch_on_fail, "params": {
                   g.name: g.get_params() for g in [*row_gates, *batch_gates]},
               "details": {g.name: g.describe() for g in row_gates
                           if callable(getattr(g, "describe", None))}},
        timings=timings, warnings=warnings_, consistency=_consistency(stats),
        distortion=distortion, candidates=candidates)
