"""What the gates did to the rows: candidates against kept rows, both against the real rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment.data import as_text
from augment.gates._joint import JointGate
from augment.gates._marginal import MarginalGate
from augment.gates._two_sample import two_sample_scores

__all__ = ["measure_distortion"]

#: Fewest rows on every side (real, candidates, kept) for the comparison to run.
MIN_ROWS = 10
#: Rows per side at most for the fresh two-sample test (both sides get the same number).
MAX_ROWS = 2000
#: Fewest rows per side for the two-sample AUC (gradient boosting's leaves hold 20 rows:
#: below this it cannot split and its AUC means nothing); marginals still compare.
MIN_AUC_ROWS = 50
#: A gate "made rows easier to detect" when kept AUC exceeds candidate AUC by more than
#: this, or by two standard errors of the difference where those are larger.
AUC_TOLERANCE = 0.01
#: ... and "lowered marginal similarity" when it falls more than this below both the
#: candidates' and every random subset of the candidates as large as the kept rows.
MARGINAL_TOLERANCE = 0.01
#: A category value is reported as thinned when its share among kept rows is below this
#: fraction of its share among candidates (and it held at least MIN_VALUE_SHARE of them)
#: and of its share among the real rows: a value the candidates hold but the real rows do
#: not (a generator mixing in its class's values) is one the gates corrected, not a corner
#: they cut. At 1M rows (docs/bench_scale.md) all eight "thinned" warnings inside the
#: rare_combination regions were such values: 5-18% of candidates, 0% of the real rows.
THINNED_RATIO = 0.5
MIN_VALUE_SHARE = 0.05


def _auc(real, synthetic, schema, n, rng) -> tuple[float, float]:
    """Fresh cross-fitted two-sample AUC (n rows a side) and its standard error."""
    from sklearn.metrics import roc_auc_score

    y, proba = two_sample_scores(real, synthetic, schema, n_splits=3, max_rows=n,
                                 random_state=rng)
    auc = float(roc_auc_score(y, proba))
    # Hanley & McNeil (1982) with equal sides
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    se = np.sqrt(max(auc * (1 - auc) + (n - 1) * (q1 - auc * auc) + (n - 1) * (q2 - auc * auc),
                     0.0) / (n * n))
    return auc, float(se)


def _null_marginals(real, candidates, n_kept: int, schema, rng, draws: int = 4) -> list[float]:
    """Mean marginal similarity of random subsets of the candidates (as many rows as were
    kept, at most half the sample): how much the number moves when rows are dropped
    at random. A gate that lowers it below all of these did more than chance."""
    n = int(min(n_kept, len(candidates) // 2))
    if n < MIN_ROWS:
        return []
    out = []
    for _ in range(draws):
        pick = candidates.iloc[np.sort(rng.choice(len(candidates), n, replace=False))]
        out.append(round(float(np.mean(list(
            MarginalGate.column_scores(real, pick, schema).values()))), 4))
    return out


def _value_shares(frame: pd.DataFrame, columns: list[str]) -> dict[tuple[str, str], float]:
    text = as_text(frame[columns]) if columns else pd.DataFrame(index=frame.index)
    out = {}
    for column in columns:
        for value, share in text[column].value_counts(normalize=True).items():
            out[(column, str(value))] = float(share)
    return out


def measure_distortion(real: pd.DataFrame, candidates: pd.DataFrame, kept: pd.DataFrame, schema,
                       region_id: str, *, random_state=None, regions=()) -> dict:
    """Compare the rows a generator proposed with the rows the gates kept, against ``real``.

    Parameters
    ----------
    real, candidates, kept : DataFrame
        The real rows of a class or region, a uniform sample of every row generated
        for it (before any gate), and the rows kept for it.
    regions : sequence of Region
        Sub-regions whose share among candidates and among kept rows is compared.

    Returns a dict with, for ``candidates`` and ``kept``: a fresh cross-fitted
    gradient-boosting two-sample AUC against ``real`` (the same number of rows on
    each side for both, so the two are comparable), mean marginal (1 - KS / 1 - TVD)
    and joint (correlation / contingency) similarity; the columns whose marginal
    similarity fell most; category values and regions whose share the gates cut by
    more than half; and ``findings``: one readable line per problem (empty when the
    gates did not make the rows less like the real ones).
    """
    rng = check_random_state(random_state)
    out: dict = {"region": region_id, "real_rows": len(real), "candidates": len(candidates),
                 "kept": len(kept), "findings": []}
    n = int(min(len(real), len(candidates), len(kept), MAX_ROWS))
    if n < MIN_ROWS:
        out["skipped"] = (f"{len(real)} real, {len(candidates)} candidate and {len(kept)} kept "
                          f"rows; needs {MIN_ROWS} of each")
        if len(candidates) >= MIN_ROWS and len(kept) == 0:
            out["findings"].append(f"{region_id}: the gates kept none of {len(candidates)} "
                                   "sampled candidate rows")
        return out
    aucs = _auc_change(real, candidates, kept, schema, n, rng, out)
    _similarity_change(real, candidates, kept, schema, n, rng, out)
    out["findings"] += _gating_findings(out, aucs, region_id)
    out["thinned_values"], out["region_shares"] = _cut_shares(
        real, candidates, kept, schema, regions, region_id, out["findings"])
    return out


def _auc_change(real, candidates, kept, schema, n: int, rng, out: dict
                ) -> tuple[float, float] | None:
    """Two-sample AUC of candidates and of kept rows against ``real`` (``n`` rows per side)
    into ``out``; the unrounded pair, None when ``n`` is too small for it."""
    if n < MIN_AUC_ROWS:
        out["auc"] = None
        out["auc_note"] = f"{n} rows per side; the two-sample AUC needs {MIN_AUC_ROWS}"
        return None
    auc_c, se_c = _auc(real, candidates, schema, n, rng)
    auc_k, se_k = _auc(real, kept, schema, n, rng)
    out["auc"] = {"candidates": round(auc_c, 4), "kept": round(auc_k, 4)}
    out["auc_se"] = round(float(np.hypot(se_c, se_k)), 4)
    return auc_c, auc_k


def _similarity_change(real, candidates, kept, schema, n: int, rng, out: dict) -> None:
    """Mean marginal and joint similarity of candidates and of kept rows, the columns whose
    marginal similarity fell most, and the marginal null (random subsets of the candidates,
    as many rows as kept), into ``out``."""
    marginal_c = MarginalGate.column_scores(real, candidates, schema)
    marginal_k = MarginalGate.column_scores(real, kept, schema)
    joint = JointGate(max_pairs=20, max_rows=MAX_ROWS, random_state=rng.randint(2**31 - 1))
    joint_c = joint.pair_scores(real, candidates, schema)
    joint_k = joint.pair_scores(real, kept, schema)
    mean = lambda d: round(float(np.mean(list(d.values()))), 4) if d else None  # noqa: E731
    null = _null_marginals(real, candidates, len(kept), schema, rng)
    drop = {c: marginal_c[c] - marginal_k[c] for c in marginal_c}
    worst = sorted(drop, key=drop.get, reverse=True)[:4]
    out.update({
        "rows_per_side": n,
        "marginal": {"candidates": mean(marginal_c), "kept": mean(marginal_k)},
        "joint": {"candidates": mean(joint_c), "kept": mean(joint_k)},
        "most_distorted_columns": {c: {"candidates": round(marginal_c[c], 4),
                                       "kept": round(marginal_k[c], 4)} for c in worst},
        "marginal_null": null,
    })


def _gating_findings(out: dict, aucs: tuple[float, float] | None, region_id: str) -> list[str]:
    """Whether gating made the rows easier to tell from real ones, or lowered marginal
    similarity beyond what random subsets of the candidates show."""
    findings = []
    if aucs is not None and aucs[1] > aucs[0] + max(AUC_TOLERANCE, 2 * out["auc_se"]):
        findings.append(f"{region_id}: gating made the rows easier to tell from real ones "
                        f"(two-sample AUC {aucs[0]:.3f} candidates -> {aucs[1]:.3f} kept)")
    m_c, m_k = out["marginal"]["candidates"], out["marginal"]["kept"]
    if m_c is not None and m_k < min([m_c, *out["marginal_null"]]) - MARGINAL_TOLERANCE:
        worst = list(out["most_distorted_columns"])
        findings.append(f"{region_id}: gating lowered marginal similarity {m_c:.3f} -> {m_k:.3f} "
                        f"(most: {', '.join(worst[:2])})")
    return findings


def _cut_shares(real, candidates, kept, schema, regions, region_id: str, findings: list[str]):
    """Category values whose share among kept rows fell below :data:`THINNED_RATIO` of their
    share among candidates and among real rows, and sub-regions whose share fell below it
    among candidates (each also a finding)."""
    shares_c = _value_shares(candidates, list(schema.categorical))
    shares_k = _value_shares(kept, list(schema.categorical))
    shares_r = _value_shares(real, list(schema.categorical))
    thinned = {f"{c} = {v}": {"real": round(shares_r.get((c, v), 0.0), 4),
                              "candidates": round(s, 4),
                              "kept": round(shares_k.get((c, v), 0.0), 4)}
               for (c, v), s in shares_c.items()
               if s >= MIN_VALUE_SHARE
               and shares_k.get((c, v), 0.0) < THINNED_RATIO * min(s, shares_r.get((c, v), 0.0))}
    for name, share in list(thinned.items())[:3]:
        findings.append(f"{region_id}: gating thinned {name} from {share['candidates']:.0%} of "
                        f"candidates to {share['kept']:.0%} of kept rows ({share['real']:.0%} "
                        "of real rows)")
    region_shares = {}
    for region in regions:
        s_c = float(region.contains(candidates).mean())
        s_k = float(region.contains(kept).mean())
        region_shares[region.id] = {"candidates": round(s_c, 4), "kept": round(s_k, 4)}
        if s_c > 0 and s_k < THINNED_RATIO * s_c:
            findings.append(f"{region_id}: gating cut {region.id} from {s_c:.0%} of candidates "
                            f"to {s_k:.0%} of kept rows")
    return thinned, region_shares
