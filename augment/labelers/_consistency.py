"""Consistency of labels: agreement with the intended class per region, and contradictions."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

__all__ = ["consistency_report"]


def _labels(value: pd.Series | pd.DataFrame) -> pd.Series:
    return value["label"] if isinstance(value, pd.DataFrame) else value


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    return (a.astype(str) == b.astype(str)).to_numpy()


def consistency_report(intended: pd.Series, assigned: pd.Series | pd.DataFrame,
                       regions: pd.Series | None = None, *,
                       others: dict[str, pd.Series | pd.DataFrame] | None = None,
                       rule_labeler=None, X: pd.DataFrame | None = None,
                       max_examples: int = 5) -> dict:
    """Agreement between intended and assigned labels, and contradictions, as a small dict.

    Parameters
    ----------
    intended : Series
        The class each row was generated for.
    assigned : Series or DataFrame
        The labeler's label per row (a ``label()`` frame is accepted); ``None``
        means the labeler abstained.
    regions : Series or None
        Region id per row; agreement is also given per region.
    others : dict of name -> Series or DataFrame, optional
        Labels of the same rows by other labelers: each is compared with
        ``assigned`` (rows where either abstained are not compared).
    rule_labeler : RuleLabeler, optional
        A fitted rules labeler; with ``X``, pairs of rules that cover the same
        rows with different labels are listed.
    X : DataFrame, optional
        The rows' features, for ``rule_labeler``.
    max_examples : int
        Row index examples given per contradiction.

    Returns
    -------
    dict
        ``rows``, ``abstained``, ``agreement`` (share of labelled rows whose label
        is the intended one), ``by_region`` {region: {rows, agreement}},
        ``labeler_contradictions`` {name: {compared, contradictions, rate, examples}}
        and ``rule_contradictions`` [{rules, labels, rows, examples}].
    """
    said = _labels(assigned).reindex(intended.index)
    labelled = said.notna().to_numpy()
    agree = _same(said, intended) & labelled

    def rate(mask: np.ndarray) -> float | None:
        n = int((mask & labelled).sum())
        return round(float(agree[mask].sum() / n), 4) if n else None

    report: dict = {"rows": len(intended), "abstained": int((~labelled).sum()),
                    "agreement": rate(np.ones(len(intended), bool)), "by_region": {}}
    if regions is not None:
        regions = regions.reindex(intended.index)
        for region in pd.unique(regions):
            mask = (regions == region).to_numpy()
            report["by_region"][str(region)] = {"rows": int(mask.sum()), "agreement": rate(mask)}
    report["labeler_contradictions"] = {
        name: _labeler_contradictions(said, _labels(other).reindex(intended.index),
                                      intended.index, max_examples)
        for name, other in (others or {}).items()}
    report["rule_contradictions"] = (
        _rule_contradictions(rule_labeler, X, max_examples)
        if rule_labeler is not None and X is not None else [])
    return report


def _labeler_contradictions(said: pd.Series, theirs: pd.Series, index: pd.Index,
                            max_examples: int) -> dict:
    """Rows two labelers both labelled, and those they label differently."""
    both = said.notna().to_numpy() & theirs.notna().to_numpy()
    differ = both & ~_same(said, theirs)
    return {"compared": int(both.sum()), "contradictions": int(differ.sum()),
            "rate": round(float(differ.sum() / both.sum()), 4) if both.sum() else None,
            "examples": index[differ][:max_examples].tolist()}


def _rule_contradictions(rule_labeler, X: pd.DataFrame, max_examples: int) -> list[dict]:
    """Pairs of rules with different labels that both cover some rows of ``X``."""
    from augment.labelers._rules import rule_mask

    rules = rule_labeler.rules_
    numeric = set(rule_labeler.schema_.numeric)
    masks = [rule_mask(r, X, numeric) for r in rules]
    found = []
    for i, j in combinations(range(len(rules)), 2):
        if str(rules[i]["label"]) == str(rules[j]["label"]):
            continue
        both = masks[i] & masks[j]
        if both.any():
            found.append({
                "rules": [rules[i]["name"], rules[j]["name"]],
                "labels": [rules[i]["label"], rules[j]["label"]],
                "rows": int(both.sum()), "examples": X.index[both][:max_examples].tolist()})
    return found
