"""The label stage: the labeler, the label policy and the references the label check uses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.data import Schema
from augment.errors import ConfigError, UnlearnableError
from augment.gates import LabelAgreementGate, RowGate
from augment.gates._label import class_proba
from augment.labelers import BaseLabeler
from augment.labelers.base import MIN_CLASS_AUC
from augment.profile import Region

__all__ = ["LabelStage"]


class LabelStage:
    """Wraps the fitted labeler and the label gate (None: no label check) for the loop.

    It decides, before anything is generated, whether the labeler can vouch for a
    class at all (:meth:`check_learnable`); tells the label gate which real rows a
    region's synthetic rows are judged against (:meth:`enter`); and gives kept
    rows the label, confidence and probabilities the policy assigns (:meth:`apply`).
    """

    def __init__(self, labeler: BaseLabeler, row_gates: list[RowGate]):
        self.labeler = labeler
        self.gate: LabelAgreementGate | None = next(
            (g for g in row_gates if isinstance(g, LabelAgreementGate)), None)

    @property
    def policy(self) -> str | None:
        return None if self.gate is None else self.gate.policy

    @property
    def strict(self) -> bool:
        """The label check keeps only rows above a confidence bar (``agree`` + ``strict``)."""
        return self.policy == "agree" and self.gate.acceptance == "strict"

    def fit(self, table: pd.DataFrame, schema: Schema) -> LabelStage:
        self.schema = schema
        self.labeler.fit(table[schema.features], table[schema.target], schema)
        return self

    def warnings(self) -> list[str]:
        reason = self.labeler.quality_.get("weak_reason")
        return [f"labeler: {reason}"] if reason else []

    def check_learnable(self, regions: list[Region]) -> None:
        """Stop before any row is generated when the labeler cannot tell a class to grow
        from the others (out-of-fold one-vs-rest ROC-AUC below ``MIN_CLASS_AUC``) and
        the label policy needs its verdict (``agree``, ``relabel``)."""
        if self.policy not in ("agree", "relabel"):
            return
        if self.policy == "agree" and self.gate.acceptance == "match":
            missing = [str(r.label) for r in regions if r.kind == "class" and str(r.label)
                       not in (getattr(self.labeler, "class_reference_", None) or {})]
            if missing:
                raise ConfigError(
                    f"Expected the labeler's P(class) over the real rows of every class to grow "
                    f"(what acceptance=match compares synthetic rows with). Got none for "
                    f"{missing} from labeler '{self.labeler.name}' (a version stored before "
                    "this was recorded). Fix: refit the labeler, or gate.acceptance=strict.")
        aucs = self.labeler.quality_.get("class_auc") or {}
        weak = {}
        for region in regions:
            auc = aucs.get(str(region.label))
            if region.kind == "class" and auc is not None and auc < MIN_CLASS_AUC:
                weak[str(region.label)] = auc
        if not weak:
            return
        named = ", ".join(f"{c!r} (out-of-fold ROC-AUC {a:.3f})" for c, a in weak.items())
        raise UnlearnableError(
            f"Expected a labeler that tells each class to grow from the others (out-of-fold "
            f"one-vs-rest ROC-AUC >= {MIN_CLASS_AUC}). Got {named} from labeler "
            f"'{self.labeler.name}': its label check cannot vouch for rows generated for "
            "that class, and generating would spend the budget to keep few or none. Stopped "
            "before generating. Fix, one of: gate.label_policy=soft (keep the rows with the "
            "labeler's probabilities; weights scale with them), gate.label_policy=intended "
            "(trust the generator; a baseline), another labeler (labeler=logistic, "
            "labeler=ebm, or expert rules with labeler=rules), or leave the class out with a "
            "sampling_strategy dict.")

    def enter(self, region: Region, table: pd.DataFrame) -> int | None:
        """Aim the label check at ``region``'s own real rows; return how many of them the
        strict check keeps (None where that number means nothing: no strict check).

        ``match`` acceptance compares the region's rows with the labeler's P(class) over
        the region's real rows (a sub-class region that the labeler finds
        majority-like is judged against itself, not against the whole class).
        """
        if self.gate is None:
            return None
        real = table[region.contains(table).to_numpy()]
        if region.kind != "class" and len(real):
            proba = self.labeler.reference_proba(real)
            k = [str(c) for c in self.labeler.classes_].index(str(region.label))
            self.gate.set_reference_scores(proba[:, k], key=region.id)
        else:
            self.gate.set_reference_scores(None)
        if not self.strict:
            return None
        if not len(real):
            return 0
        return int(self.gate.check(real, self.labeler.label(real))["keep"].sum())

    def leave(self) -> None:
        if self.gate is not None:
            self.gate.set_reference_scores(None)

    def confidence(self, rows: pd.DataFrame, labels: pd.DataFrame, target: str) -> np.ndarray:
        """What the label check scores each row (its policy's probability)."""
        if self.gate is None or self.policy == "relabel":
            return labels["confidence"].to_numpy(dtype=float).copy()
        return class_proba(labels, rows[target])

    def apply(self, rows: pd.DataFrame, labels: pd.DataFrame, take: np.ndarray) -> pd.DataFrame:
        """Give the kept rows (positions ``take``) the label, confidence and probabilities
        the policy assigns; ``_intended`` keeps the class each row was generated for."""
        if self.gate is None or not len(take):
            return rows
        target = self.schema.target
        assigned = self.gate.assign(rows.iloc[take], labels.iloc[take])
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

    def backed_mask(self, table: pd.DataFrame) -> np.ndarray | None:
        """Real rows the label check would keep for their own class (None: no ``agree``
        check); for generators that fit on those rows only (``wants_backed``)."""
        if self.policy != "agree":
            return None
        if self.strict:
            labels = self.labeler.label(table[self.schema.features])
            return self.gate.check(table, labels)["keep"].to_numpy(dtype=bool)
        # match: the rows the labeler ranks above the floor of their own class
        proba = self.labeler.reference_proba(table)
        codes = self.labeler._codes(table[self.schema.target])
        own = proba[np.arange(len(table)), np.maximum(codes, 0)]
        keep = np.zeros(len(table), bool)
        for k in range(len(self.labeler.classes_)):
            mask = codes == k
            if mask.any():
                keep[mask] = own[mask] >= np.quantile(own[mask], self.gate.floor_quantile)
        return keep
