"""Label agreement: the separate labeler must back the class a row was generated for."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from augment.errors import ConfigError
from augment.gates.base import RowGate, row_result

__all__ = ["ACCEPTANCES", "LABEL_POLICIES", "LabelAgreementGate", "match_acceptance"]

LABEL_POLICIES = ("agree", "relabel", "soft", "intended")
#: How ``agree`` turns the labeler's P(class) into keep / reject (see LabelAgreementGate).
ACCEPTANCES = ("match", "strict")
#: Most bins of the reference distribution whose candidate share ``match`` equalises ...
MATCH_BINS = 10
#: ... with at least this many reference rows per bin (fewer bins for small regions: a bin
#: share estimated from a handful of rows would reweight the rows at random).
MATCH_ROWS_PER_BIN = 40
#: A bin holding fewer candidates than this share of the median bin is kept whole
#: (under-filled) instead of forcing every other bin down to its level.
MATCH_MIN_BIN_SHARE = 0.2


def match_acceptance(p: np.ndarray, reference: np.ndarray, floor_quantile: float,
                     rng: np.random.RandomState, n_bins: int | None = None) -> np.ndarray:
    """Keep probabilities that make the kept rows' ``p`` follow the ``reference`` distribution.

    Each row's ``p`` is mapped to its position ``u`` in the reference distribution
    (its empirical CDF; ties spread uniformly over the atom they fall on), so rows
    drawn like the reference have ``u`` uniform on [0, 1]. Rows with ``u`` below
    ``floor_quantile`` get probability 0 (the labeler ranks them below nearly all
    real rows of the class). Above it, ``u`` is cut into ``n_bins`` equal bins
    (default: one per :data:`MATCH_ROWS_PER_BIN` reference rows, 1 to
    :data:`MATCH_BINS`) and
    each bin is kept with probability ``min(1, c* / count)``, where ``c*`` is the
    smallest bin count at least :data:`MATCH_MIN_BIN_SHARE` of the median: every
    bin then holds about ``c*`` kept rows, as the reference does, and a bin the
    candidates hardly reach is kept whole rather than emptying the others.

    This is rejection sampling of p(x | class) / q(x) along the labeler's score:
    p(x | c) is proportional to P(c | x) p(x), and matching the distribution of
    P(c | x) corrects the proposal in the direction the labeler sees, without
    selecting the class's surest corner. Returns each row's keep probability.
    """
    reference = np.sort(np.asarray(reference, dtype=float))
    n_ref = len(reference)
    if n_bins is None:
        n_bins = int(np.clip(n_ref // MATCH_ROWS_PER_BIN, 1, MATCH_BINS))
    p = np.asarray(p, dtype=float)
    low = np.searchsorted(reference, p, side="left") / n_ref
    high = np.searchsorted(reference, p, side="right") / n_ref
    u = low + rng.random_sample(len(p)) * (high - low)
    floor = float(floor_quantile)
    above = u >= floor
    prob = np.zeros(len(p))
    if not above.any():
        return prob
    width = (1.0 - floor) / n_bins if floor < 1 else 1.0
    b = np.minimum(((u[above] - floor) / width).astype(int), n_bins - 1)
    counts = np.bincount(b, minlength=n_bins).astype(float)
    filled = counts[counts >= MATCH_MIN_BIN_SHARE * np.median(counts[counts > 0])]
    c_star = filled.min() if len(filled) else counts.max()
    prob[above] = np.minimum(1.0, c_star / np.maximum(counts[b], 1.0))
    return prob


_ABSTAINED = "label: labeler abstained (no rule covers the row)"


def _two(p: np.ndarray, digits: int = 2) -> np.ndarray:
    """Probabilities as text with ``digits`` decimals, formatted once per distinct value."""
    codes, uniques = pd.factorize(np.asarray(p, dtype=float), use_na_sentinel=False)
    return np.array([f"{u:.{digits}f}" for u in uniques], dtype=object)[codes]


def _below(p: np.ndarray, bar: np.ndarray) -> np.ndarray:
    """``p`` (each below its ``bar``) as two-decimal text, with more decimals where two
    would print it as the bar itself (``0.2199 < 0.22``, not ``0.22 < 0.22``)."""
    text = _two(p)
    same = text == _two(bar)
    for digits in (4, 6):
        if same.any():
            text[same] = _two(p[same], digits)
            same[same] = text[same] == _two(bar[same], digits)
    return text


def _reprs(values) -> np.ndarray:
    """``repr`` of each value, computed once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
    return np.array([repr(u) for u in uniques], dtype=object)[codes]


def class_proba(labels: pd.DataFrame, classes: pd.Series) -> np.ndarray:
    """The labeler's probability of each row's class (``proba=<class>``; 0 where it has none)."""
    text = pd.Series(classes).astype(str).to_numpy()
    out = np.zeros(len(text))
    for value in np.unique(text):
        column = f"proba={value}"
        if column in labels:
            mask = text == value
            out[mask] = labels[column].to_numpy(dtype=float)[mask]
    return out


class LabelAgreementGate(RowGate):
    """Applies the label policy to the labeler's verdict on each row.

    Parameters
    ----------
    policy : {"agree", "relabel", "soft", "intended"}
        ``agree`` keeps a row only when the labeler's label equals the class it
        was generated for and the labeler's probability of that class reaches
        the class's bar (below). ``relabel`` keeps a row whenever the labeler's
        probability of *its own* label reaches that label's bar, and the row
        takes that label. ``soft`` keeps every row the labeler labels, with
        the intended label, its class probabilities (``_proba_<class>``) and a
        weight scaled by P(intended). ``intended`` trusts the generator and
        keeps every row (a baseline for comparisons); scores are still recorded.
        Rows a labeler abstains on (label ``None``) are rejected by every
        policy but ``intended``.
    min_confidence : float in [0, 1]
        ``strict`` acceptance and ``relabel``: smallest probability that
        ``agree`` (of the intended class) and ``relabel`` (of the labeler's
        label) accept.
    acceptance : {"match", "strict"}
        How ``agree`` decides. ``match`` (default): keep rows at random so that
        the labeler's P(intended class) has the same distribution over kept rows
        as over the real rows of the class or region (``set_reference_scores`` /
        ``attrs["class_reference"]``), after dropping rows below its
        ``floor_quantile`` (see
        :func:`match_acceptance`). The kept rows keep the class's shape: a
        subgroup the labeler finds mostly majority-like is judged against its
        own real rows and survives. ``strict``: keep rows whose P reaches the
        class's bar (below); it selects the surest corner of the class (lower
        label noise, rows easier to tell from real ones).
    floor_quantile : float in [0, 1)
        ``match``: rows whose P(class) is below this quantile of the real rows'
        are rejected. 0 matches the whole distribution; higher trades the class's
        least typical rows for lower label noise.
    random_state : int or None
        Seed of ``match``'s random keep decisions.

    ``strict``: the bar of class ``c`` is ``min(min_confidence, reference(c))``, where
    ``reference(c)`` is the labeler's reference confidence for ``c``: how sure
    it is of the real rows of ``c`` (``labels.attrs["class_confidence"]``, see
    :class:`augment.labelers.BaseLabeler`; no reference: ``min_confidence``).
    A synthetic row is never asked to be surer of its class than the labeler is
    of the class's real rows. Where that lowers the bar, ``agree`` no longer
    asks the labeler's label to be the intended class either: a labeler that
    never names a rare class outright still backs the rows it scores like the
    class's surest real rows. ``report_`` lists each class's bar.

    ``score`` is the labeler's probability of the intended class (``relabel``:
    of the label the row takes). What the pipeline writes into kept rows comes
    from :meth:`assign`.
    """

    name = "label"

    def __init__(self, policy: str = "agree", min_confidence: float = 0.9,
                 acceptance: str = "match", floor_quantile: float = 0.0,
                 random_state: int | None = None):
        self.policy = policy
        self.min_confidence = min_confidence
        self.acceptance = acceptance
        self.floor_quantile = floor_quantile
        self.random_state = random_state

    def check_params(self) -> list[str]:
        problems = super().check_params()  # random_state
        if self.policy not in LABEL_POLICIES:
            problems.append(f"label policy must be one of {list(LABEL_POLICIES)}; got "
                            f"{self.policy!r}.")
        if not isinstance(self.min_confidence, (int, float)) or not (
                0.0 <= float(self.min_confidence) <= 1.0):
            problems.append(f"min_confidence must be in [0, 1]; got {self.min_confidence!r}.")
        if self.acceptance not in ACCEPTANCES:
            problems.append(f"label acceptance must be one of {list(ACCEPTANCES)}; got "
                            f"{self.acceptance!r}. Fix: match (keep the class's shape) or "
                            "strict (the surest rows only).")
        q = self.floor_quantile
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0.0 <= q < 1.0:
            problems.append(f"floor_quantile must be in [0, 1); got {q!r}.")
        return problems

    def fit(self, real, schema):
        problems = self.check_params()
        if problems:
            raise ConfigError("; ".join(problems))
        self._rng = check_random_state(self.random_state)
        self.references_: dict[str, np.ndarray] = {}
        self._key = None
        return super().fit(real, schema)

    def set_reference_scores(self, scores: np.ndarray | None, key: str | None = None
                             ) -> LabelAgreementGate:
        """The labeler's P(class) over the real rows that the next checked rows are aimed
        at (a sub-class region's own rows; :meth:`BaseLabeler.reference_proba`).

        ``match`` then follows their distribution instead of the whole class's
        (``strict`` keeps its per-class bar). ``None`` goes back to the class.
        """
        self._key = None
        if scores is not None and len(scores):
            self._key = key or "region"
            self.references_[self._key] = np.sort(np.asarray(scores, dtype=float))
        return self

    def _intended_proba(self, rows: pd.DataFrame, labels: pd.DataFrame) -> np.ndarray:
        return class_proba(labels, rows[self.schema_.target])

    def bars(self, labels: pd.DataFrame) -> dict[str, float]:
        """The bar of every class with a reference confidence: ``min(min_confidence, ref)``."""
        reference = labels.attrs.get("class_confidence") or {}
        return {str(c): min(float(self.min_confidence), float(p)) for c, p in reference.items()}

    def _bar_of(self, classes: pd.Series, bars: dict[str, float]) -> np.ndarray:
        threshold = float(self.min_confidence)
        text = pd.Series(classes).astype(str)
        return text.map(bars).fillna(threshold).to_numpy(dtype=float)

    @staticmethod
    def _why(bar: float, threshold: float) -> str:
        return (f"min_confidence {threshold:.2f}" if bar >= threshold else
                f"the labeler's reference confidence {bar:.2f} on real rows of the class")

    def _check(self, rows: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
        if labels is None:
            raise ValueError("LabelAgreementGate.check needs the labeler's output as labels=")
        intended = rows[self.schema_.target]
        proba = self._intended_proba(rows, labels)
        said = labels["label"]
        abstained = said.isna().to_numpy()
        threshold = float(self.min_confidence)
        bars = self.bars(labels)
        self.report_ = [{"class": c, "min_confidence": threshold, "bar": round(b, 6)}
                        for c, b in bars.items()]
        if self.policy == "intended":
            return row_result(rows.index, np.ones(len(rows), bool), proba, "")
        if self.policy in ("relabel", "soft"):
            own = labels["confidence"].to_numpy(dtype=float)
            bar = self._bar_of(said, bars)
            keep = ~abstained & (own >= bar if self.policy == "relabel" else True)
            reason = np.where(abstained, _ABSTAINED, "").astype(object)
            low = ~keep & ~abstained
            reason[low] = ("label: labeler's P(" + _reprs(said[low]) + ")="
                           + _below(own[low], bar[low])
                           + " < " + self._whys(bar[low], threshold))
            score = own if self.policy == "relabel" else proba
            return row_result(rows.index, keep, score, reason)
        if self.acceptance == "match":
            return self._match(rows, labels, intended, proba, abstained)
        bar = self._bar_of(intended, bars)
        lowered = bar < threshold  # the class's bar is its reference: argmax not required
        agrees = ((said.astype(str) == intended.astype(str)).to_numpy() | lowered) & ~abstained
        confident = proba >= bar
        reason = np.where(abstained, _ABSTAINED, "").astype(object)
        other = ~agrees & ~abstained
        reason[other] = ("label: labeler says " + _reprs(said[other]) + " (P="
                         + _two(labels["confidence"].to_numpy(dtype=float)[other])
                         + "), generated as " + _reprs(intended[other]))
        low = agrees & ~confident
        reason[low] = ("label: P(" + _reprs(intended[low]) + ")=" + _below(proba[low], bar[low])
                       + " < "
                       + self._whys(bar[low], threshold))
        return row_result(rows.index, agrees & confident, proba, reason)

    def _reference_of(self, label, labels: pd.DataFrame) -> tuple[np.ndarray | None, str]:
        if self._key is not None:
            return self.references_[self._key], self._key
        ref = (labels.attrs.get("class_reference") or {}).get(str(label))
        return (None if ref is None or not len(ref) else np.asarray(ref, dtype=float),
                f"class={label}")

    def _match(self, rows, labels, intended, proba, abstained) -> pd.DataFrame:
        """``acceptance="match"``: keep rows at random so that kept P(intended) follows the
        reference distribution (:func:`match_acceptance`), per intended class."""
        keep = np.zeros(len(rows), bool)
        reason = np.where(abstained, _ABSTAINED, "").astype(object)
        text = intended.astype(str).to_numpy()
        self.report_ = []
        for value in pd.unique(text):
            mask = (text == value) & ~abstained
            if not mask.any():
                continue
            ref, key = self._reference_of(intended[text == value].iloc[0], labels)
            if ref is None:
                raise ConfigError(
                    f"acceptance='match' needs the labeler's P({value!r}) over real rows of "
                    f"{key}; the labeler recorded none (a labeler stored before this "
                    "version, or a class without real rows). Fix: gate.acceptance=strict, or "
                    "refit the labeler.")
            idx = np.flatnonzero(mask)
            prob = match_acceptance(proba[idx], ref, float(self.floor_quantile), self._rng)
            kept = self._rng.random_sample(len(idx)) < prob
            keep[idx] = kept
            floor = float(np.quantile(ref, self.floor_quantile))
            below = ~kept & (prob == 0)
            thinned = ~kept & (prob > 0)
            reason[idx[below]] = (f"label: P({value!r}) below {floor:.3g}, the "
                                  f"{self.floor_quantile:g} quantile over real rows of {key}")
            reason[idx[thinned]] = (f"label: P({value!r}) in a band the generator over-proposes "
                                    f"(thinned to the spread of real rows of {key})")
            self.report_.append({"class": value, "reference": key, "acceptance": "match",
                                 "floor": round(floor, 6), "rows": len(idx),
                                 "kept": int(kept.sum()), "below_floor": int(below.sum())})
        return row_result(rows.index, keep, proba, reason)

    def _whys(self, bars: np.ndarray, threshold: float) -> np.ndarray:
        """:meth:`_why` of each bar, formatted once per distinct bar."""
        codes, uniques = pd.factorize(bars)
        return np.array([self._why(b, threshold) for b in uniques], dtype=object)[codes]

    def assign(self, rows: pd.DataFrame, labels: pd.DataFrame) -> pd.DataFrame:
        """The label and confidence each row gets under the policy (call on kept rows).

        Returns a frame on ``rows.index`` with ``label`` (the target value the
        row carries in the output), ``confidence`` (what ``_label_confidence``
        and the weight use), ``relabelled`` (bool: label differs from the
        intended class) and, for ``soft`` only, one ``_proba_<class>`` column
        per class.

        ========  ==================  ==============================
        policy    label               confidence
        ========  ==================  ==============================
        agree     intended            P(intended)
        relabel   labeler's label     P(labeler's label)
        soft      intended            P(intended); + _proba_<class>
        intended  intended            P(intended)
        ========  ==================  ==============================
        """
        if not hasattr(self, "schema_"):
            from augment.errors import NotFittedError

            raise NotFittedError("LabelAgreementGate is not fitted yet. Call fit() first.")
        intended = rows[self.schema_.target]
        out = pd.DataFrame(index=rows.index)
        if self.policy == "relabel":
            said = labels["label"].reindex(rows.index)
            out["label"] = said.where(said.notna(), intended).astype(object)
            out["confidence"] = np.where(said.notna(), labels["confidence"].reindex(rows.index),
                                         self._intended_proba(rows, labels))
        else:
            out["label"] = intended.astype(object)
            out["confidence"] = self._intended_proba(rows, labels)
        out["relabelled"] = (out["label"].astype(str) != intended.astype(str)).to_numpy()
        if self.policy == "soft":
            for c in self.schema_.classes:
                column = f"proba={c}"
                out[f"_proba_{c}"] = (labels[column].reindex(rows.index).to_numpy(dtype=float)
                                      if column in labels else 0.0)
        return out
