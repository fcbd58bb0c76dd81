"""Comparing two runs (or two labeler versions): what moved, by how much, and what breached."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from augment.monitor._agreement import agreement, load_labeler, probe_rows
from augment.monitor._quantities import QUALITY_KEYS, label_shares, run_quantities
from augment.monitor._run import RunData
from augment.monitor._thresholds import Thresholds

__all__ = ["Change", "Comparison", "compare_labelers", "compare_runs"]

#: Families whose missing value means "no rows": compared as 0.
_SHARES = ("label_share", "region_share", "acceptance")
#: Labeler quality numbers that are better when lower (the rest are better when higher).
_LOWER_IS_BETTER = {"brier", "ece"}
#: Batch checks whose score is better when lower (two-sample AUC); the others are similarities.
_LOWER_SCORE_GATES = {"two_sample"}


def better_direction(family: str, key: str) -> int:
    """+1 when a higher value is better, -1 when lower is better, 0 for drift (either way).

    Quality and fidelity numbers have a good direction: moving that way past the
    limit is an improvement, not a breach. Shares and pass rates are drift.
    """
    if family == "labeler_quality":
        return -1 if key in _LOWER_IS_BETTER else 1
    if family == "fidelity_score":
        return -1 if key.rsplit(" ", 1)[-1] in _LOWER_SCORE_GATES else 1
    return 0


@dataclass
class Change:
    """One monitored quantity in the baseline ``a`` and the new run ``b``."""

    family: str
    key: str
    a: float | bool | None
    b: float | bool | None
    threshold: float | None
    breached: bool
    note: str = ""

    @property
    def delta(self) -> float | None:
        if isinstance(self.a, bool) or isinstance(self.b, bool) or self.a is None or (
                self.b is None):
            return None
        return float(self.b) - float(self.a)

    def describe(self) -> str:
        """``label_share class=bad: 0.400 -> 0.520 (+0.120, limit 0.05)``."""
        if self.family == "fidelity_verdict":
            word = {True: "pass", False: "FAIL", None: "absent"}
            return f"{self.family} {self.key}: {word[self.a]} -> {word[self.b]}"
        def fmt(v):
            return ("absent" if v is None else f"{v:.4g}")
        text = f"{self.family} {self.key}: {fmt(self.a)} -> {fmt(self.b)}"
        if self.delta is not None:
            text += f" ({self.delta:+.4g}"
            text += f", limit {self.threshold:g})" if self.threshold is not None else ")"
        if self.note:
            text += f" [{self.note}]"
        return text


@dataclass
class Comparison:
    """The result of a comparison; ``breaches`` decides the exit status."""

    a: str
    b: str
    changes: list[Change]
    thresholds: Thresholds
    notes: list[str] = field(default_factory=list)
    agreement: dict | None = None

    @property
    def breaches(self) -> list[Change]:
        return [c for c in self.changes if c.breached]

    @property
    def moved(self) -> list[Change]:
        """Quantities that changed at all (breached first, then by size relative to the limit)."""
        moved = [c for c in self.changes if c.breached or (c.delta not in (None, 0.0))
                 or (c.delta is None and c.a != c.b)]

        def size(c: Change) -> float:
            if c.delta is None or not c.threshold:
                return float("inf") if c.breached else 0.0
            return abs(c.delta) / c.threshold

        return sorted(moved, key=lambda c: (not c.breached, -size(c)))


def _diff(qa: dict, qb: dict, t: Thresholds) -> list[Change]:
    changes = []
    for family, key in sorted(set(qa) | set(qb)):
        a, b = qa.get((family, key)), qb.get((family, key))
        if family == "fidelity_verdict":
            breached = bool(t.fidelity_verdict and a is True and b is False)
            changes.append(Change(family, key, a, b, None, breached))
            continue
        limit = getattr(t, family)
        note = ""
        if family in _SHARES:
            a, b = (0.0 if a is None else a), (0.0 if b is None else b)
        elif a is None or b is None:
            note = f"only in {'b' if a is None else 'a'}"
        change = Change(family, key, a, b, limit, False, note)
        past = bool(limit is not None and change.delta is not None
                    and abs(change.delta) > limit + 1e-12)
        better = better_direction(family, key)
        if past and better and change.delta * better > 0:
            change.note = "improved"  # past the limit, the good way: not a breach
        else:
            change.breached = past
        changes.append(change)
    return changes


def _agreement_change(result: dict, t: Thresholds) -> Change:
    value = result["agreement"]
    breached = bool(t.min_agreement is not None and value is not None and
                    value < t.min_agreement - 1e-12)
    change = Change("agreement", f"labelers on {result['rows']} probe rows", 1.0, value,
                    None if t.min_agreement is None else 1 - t.min_agreement, breached,
                    f"min {t.min_agreement}")
    return change


def compare_runs(a: RunData, b: RunData, thresholds: Thresholds,
                 registry: str | None = None, random_state: int | None = None) -> Comparison:
    """Compare run ``b`` with the baseline run ``a`` on every monitored quantity.

    Runs on different tables (target or feature columns differ) are refused with
    :class:`InvalidDataError`. Quality and fidelity numbers breach only when they
    move past their limit the bad way (see :func:`better_direction`).

    The two labelers (loaded from the registry by the versions in the manifests)
    label the same probe rows: the union of both runs' synthetic rows. When a
    labeler cannot be loaded, agreement is skipped with a note (not a breach).
    Past ``thresholds.probe_rows`` rows, a sample drawn with ``random_state`` (default:
    the baseline run's seed) is probed.
    """
    if a.features != b.features or a.target != b.target:
        from augment.errors import InvalidDataError

        only_a = [c for c in a.features if c not in b.features]
        only_b = [c for c in b.features if c not in a.features]
        raise InvalidDataError(
            f"Expected two runs on the same table (same target and feature columns). Got "
            f"target '{a.target}' in {a.name} and '{b.target}' in {b.name}"
            + (f"; columns only in {a.name}: {only_a}" if only_a else "")
            + (f"; columns only in {b.name}: {only_b}" if only_b else "")
            + ". Fix: compare runs of one table (same data.path and data.target), e.g. a "
            "baseline run and a rerun with new settings or new rows.")
    changes = _diff(run_quantities(a), run_quantities(b), thresholds)
    comparison = Comparison(a.name, b.name, changes, thresholds)
    lab_a, why_a = load_labeler(a, registry)
    lab_b, why_b = load_labeler(b, registry)
    if lab_a is None or lab_b is None:
        comparison.notes.append("agreement skipped: " + "; ".join(w for w in (why_a, why_b) if w))
        return comparison
    seed = a.manifest.get("seed") if random_state is None else random_state
    probe = probe_rows(a, b, thresholds.probe_rows, seed=int(seed or 0))
    if not len(probe):
        comparison.notes.append("agreement skipped: neither run kept synthetic rows")
        return comparison
    result = agreement(lab_a, lab_b, probe)
    comparison.agreement = {"rows": result["rows"], "agreement": result["agreement"],
                            "labeler_a": lab_a.version_, "labeler_b": lab_b.version_}
    changes.append(_agreement_change(result, thresholds))
    return comparison


def compare_labelers(version_a: str, version_b: str, registry: str, probe: pd.DataFrame,
                     thresholds: Thresholds, random_state: int = 0) -> Comparison:
    """Compare two stored labeler versions on the probe rows ``probe``.

    Quantities: agreement, the share of probe rows given each label
    (``label_share``), and the stored quality numbers (``labeler_quality``). Past
    ``thresholds.probe_rows`` distinct rows, a sample drawn with ``random_state``.
    """
    from augment.labelers import load

    lab_a, lab_b = load(version_a, registry), load(version_b, registry)
    features = lab_a.schema_.features
    missing = [c for c in features if c not in probe.columns]
    if missing or lab_b.schema_.features != features:
        from augment.errors import InvalidDataError

        raise InvalidDataError(
            f"Expected probe rows with the labelers' feature columns {features}. Got missing "
            f"{missing}" + ("" if lab_b.schema_.features == features else
                            f" and labeler {lab_b.version_} uses {lab_b.schema_.features}")
            + ". Fix: probe with rows of the table both labelers were trained for.")
    probe = probe[features].drop_duplicates(ignore_index=True)
    if len(probe) > thresholds.probe_rows:
        probe = probe.sample(thresholds.probe_rows,
                             random_state=random_state).reset_index(drop=True)
    result = agreement(lab_a, lab_b, probe)
    qa = {("label_share", f"class={k}"): v for k, v in label_shares(result["labels_a"]).items()}
    qb = {("label_share", f"class={k}"): v for k, v in label_shares(result["labels_b"]).items()}
    for quality, q in ((lab_a.quality_, qa), (lab_b.quality_, qb)):
        for k in QUALITY_KEYS:
            if (quality or {}).get(k) is not None:
                q["labeler_quality", k] = float(quality[k])
    changes = _diff(qa, qb, thresholds)
    changes.append(_agreement_change(result, thresholds))
    comparison = Comparison(lab_a.version_, lab_b.version_, changes, thresholds)
    comparison.agreement = {"rows": result["rows"], "agreement": result["agreement"],
                            "labeler_a": lab_a.version_, "labeler_b": lab_b.version_}
    return comparison
