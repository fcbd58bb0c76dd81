"""Versioned storage of fitted labelers as JSON: save, list, load (pin / roll back), diff.

Each version lives in ``<registry>/<version>/labeler.json`` and holds the
labeler's name, class and parameters, the SHA-256 of its training data, the
fitted model itself (tree arrays, coefficients, encoder categories, rules,
calibration maps: plain JSON, never pickle), its quality numbers and its text.
``version`` is ``<name>-<first 12 hex digits of the content hash>``; the content
hash covers name, parameters and fitted state, and is checked on every load. A
record also names the scikit-learn that wrote it: a stored tree is rebuilt
through scikit-learn's private ``Tree`` state, so loading one under another
scikit-learn is refused (refit and save again).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from augment.errors import ConfigError, InvalidDataError, format_problems
from augment.labelers.base import BaseLabeler, _plain

__all__ = ["DEFAULT_REGISTRY", "FORMAT", "StoredLabeler", "diff", "format_diff",
           "list_versions", "load", "read_record", "save", "training_data_sha256"]

DEFAULT_REGISTRY = "outputs/labelers"
FORMAT = "augment-labeler/1"
_FILE = "labeler.json"


def training_data_sha256(table: pd.DataFrame) -> str:
    """SHA-256 of the training rows: feature columns in schema order, then the target."""
    from augment.data import fingerprint

    return fingerprint(None, table)


def _canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def _content(record: dict) -> str:
    return hashlib.sha256(_canonical({k: record[k] for k in ("name", "params", "state")}))\
        .hexdigest()


def save(labeler: BaseLabeler, training_data: pd.DataFrame | str,
         registry: str | Path = DEFAULT_REGISTRY, source: dict | None = None) -> str:
    """Store a fitted labeler; return its version id (saving the same content twice is a no-op).

    Parameters
    ----------
    labeler : BaseLabeler
        A fitted labeler that supports ``get_state`` (tree, logistic, rules).
    training_data : DataFrame or str
        The real rows it was fitted on (feature columns in schema order, then the
        target), or their SHA-256 (:func:`training_data_sha256`).
    registry : str or Path
        Registry folder; created when missing.
    source : dict or None
        Where the labeler came from, shown by ``registry list`` (e.g. ``{"data":
        "pima.csv", "target": "type", "rows": 200, "run": "outputs/..."}``).
        Not part of the version id: the same labeler from another run keeps its version.
    """
    try:
        state = labeler.get_state()
    except NotImplementedError as exc:
        raise ConfigError(f"Labeler '{labeler.name}' cannot be stored: {exc} Fix: use tree, "
                          "logistic or rules, or run without saving.") from exc
    data_hash = training_data if isinstance(training_data, str) else training_data_sha256(
        training_data)
    if isinstance(labeler, StoredLabeler):
        labeler = labeler.labeler_
    record = {"format": FORMAT, "name": labeler.name, "class": type(labeler).__name__,
              "params": _plain(labeler.get_params(deep=False)),
              "state": json.loads(_canonical(state))}
    record["content_sha256"] = _content(record)
    version = f"{labeler.name}-{record['content_sha256'][:12]}"
    folder = Path(registry) / version
    if (folder / _FILE).is_file():
        return version
    record.update(version=version, training_data_sha256=data_hash, sklearn=_sklearn_version(),
                  created=datetime.now(UTC).isoformat(timespec="seconds"),
                  quality=state.get("quality"), text=labeler.to_text(),
                  source=source or {})
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{_FILE}.tmp"
    tmp.write_text(json.dumps(record, indent=1, default=str))
    os.replace(tmp, folder / _FILE)
    return version


def list_versions(registry: str | Path = DEFAULT_REGISTRY) -> list[dict]:
    """Every stored version, oldest first: version, name, created, data hash, where it came
    from (``source``: data, target, rows, run; the target alone for older records), quality."""
    root = Path(registry)
    out = []
    for path in sorted(root.glob(f"*/{_FILE}")) if root.is_dir() else []:
        rec = json.loads(path.read_text())
        quality = rec.get("quality") or {}
        schema = (rec.get("state") or {}).get("schema") or {}
        source = {"target": schema.get("target"), **(rec.get("source") or {})}
        out.append({"version": rec["version"], "name": rec["name"], "created": rec["created"],
                    "training_data_sha256": rec["training_data_sha256"], "source": source,
                    "cv_balanced_accuracy": quality.get("cv_balanced_accuracy"),
                    "brier": quality.get("brier"), "ece": quality.get("ece")})
    return sorted(out, key=lambda r: (r["created"], r["version"]))


def read_record(version: str, registry: str | Path = DEFAULT_REGISTRY) -> dict:
    """The stored record of ``version`` (a full id or a unique prefix), hash-checked."""
    root = Path(registry)
    known = [v["version"] for v in list_versions(root)]
    matches = [v for v in known if v == version] or [v for v in known if v.startswith(version)]
    if len(matches) != 1:
        what = "matches several versions" if matches else "does not exist"
        raise ConfigError(f"Labeler version {version!r} {what} in registry {str(root)!r}. "
                          f"Expected one of {known or '(none stored)'}. Fix: run "
                          f"'python -m augment.labelers.registry list --registry {root}'.")
    record = json.loads((root / matches[0] / _FILE).read_text())
    if record.get("format") != FORMAT:
        raise ConfigError(f"Labeler version {matches[0]!r} has format {record.get('format')!r}; "
                          f"expected {FORMAT!r}.")
    actual = _content(record)
    if actual != record["content_sha256"] or not matches[0].endswith(actual[:12]):
        raise ConfigError(f"Labeler version {matches[0]!r} is refused: its content hash is "
                          f"{actual[:12]}, expected {record['content_sha256'][:12]} (the file "
                          "was changed after saving). Fix: save the labeler again.")
    return record


def load(version: str, registry: str | Path = DEFAULT_REGISTRY,
         training_data_sha256: str | None = None) -> BaseLabeler:
    """A fitted labeler restored from the registry, without refitting or unpickling.

    ``training_data_sha256``, when given, must equal the stored one. The result
    carries ``version_`` and ``training_data_sha256_``.
    """
    from augment.labelers import LABELERS

    record = read_record(version, registry)
    expected = training_data_sha256
    if expected is not None and expected != record["training_data_sha256"]:
        raise ConfigError(f"Labeler version {record['version']!r} was trained on data "
                          f"{record['training_data_sha256'][:12]}, not on {expected[:12]}. Fix: "
                          "pin a version trained on this data, or drop the data check.")
    _check_sklearn(record)
    labeler = LABELERS[record["name"]](**record["params"]).set_state(record["state"])
    labeler.version_ = record["version"]
    labeler.training_data_sha256_ = record["training_data_sha256"]
    return labeler


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def _holds_tree(state) -> bool:
    """True when a stored state holds a decision tree (its own or a rules labeler's base)."""
    if isinstance(state, dict):
        return "nodes" in state or any(_holds_tree(v) for v in state.values())
    return False


def _check_sklearn(record: dict) -> None:
    """A stored tree is rebuilt through scikit-learn's private ``Tree`` state, whose layout
    may change between releases: refuse one written by another scikit-learn."""
    stored, here = record.get("sklearn"), _sklearn_version()
    if stored != here and _holds_tree(record["state"]):
        raise ConfigError(
            f"Labeler version {record['version']!r} holds a decision tree saved with "
            f"scikit-learn {stored or '(not recorded)'}; expected the running scikit-learn "
            f"{here}, since trees are rebuilt from scikit-learn's private Tree state, which "
            "changes between releases. Fix: refit the labeler on its training data and save "
            "it again" + (f" (or run with scikit-learn=={stored})." if stored else "."))


def diff(a: str, b: str, registry: str | Path = DEFAULT_REGISTRY) -> dict:
    """What changed from version ``a`` to ``b``: params, rules, model text, quality, data."""
    ra, rb = read_record(a, registry), read_record(b, registry)
    keys = sorted(set(ra["params"]) | set(rb["params"]))
    params = {k: [ra["params"].get(k), rb["params"].get(k)] for k in keys
              if ra["params"].get(k) != rb["params"].get(k)}
    qa, qb = ra.get("quality") or {}, rb.get("quality") or {}
    quality = {k: [qa.get(k), qb.get(k)] for k in sorted(set(qa) | set(qb))
               if qa.get(k) != qb.get(k)}
    rules_a = _rule_lines(ra["state"])
    rules_b = _rule_lines(rb["state"])
    text = list(difflib.unified_diff(ra["text"].splitlines(), rb["text"].splitlines(),
                                     ra["version"], rb["version"], lineterm=""))
    return {"a": ra["version"], "b": rb["version"], "name": [ra["name"], rb["name"]],
            "params": params, "quality": quality,
            "rules_removed": [r for r in rules_a if r not in rules_b],
            "rules_added": [r for r in rules_b if r not in rules_a],
            "same_training_data": ra["training_data_sha256"] == rb["training_data_sha256"],
            "text_diff": text}


def _rule_lines(state: dict) -> list[str]:
    from augment.labelers._rules import rule_text

    rules = state.get("model", {}).get("rules")
    return [rule_text(r) for r in rules] if rules else []


def format_diff(d: dict) -> str:
    """:func:`diff` as readable text."""
    lines = [f"labeler {d['a']} -> {d['b']}"]
    if d["name"][0] != d["name"][1]:
        lines.append(f"kind: {d['name'][0]} -> {d['name'][1]}")
    lines.append("training data: " + ("same" if d["same_training_data"] else "different"))
    for k, (x, y) in d["params"].items():
        lines.append(f"param {k}: {x!r} -> {y!r}")
    lines += [f"rule removed: {r}" for r in d["rules_removed"]]
    lines += [f"rule added:   {r}" for r in d["rules_added"]]
    for k, (x, y) in d["quality"].items():
        lines.append(f"quality {k}: {x} -> {y}")
    if d["text_diff"]:
        lines.append("model text:")
        lines += [f"  {line}" for line in d["text_diff"]]
    return "\n".join(lines)


class StoredLabeler(BaseLabeler):
    """A labeler pinned to a stored version: ``fit`` loads it instead of training.

    ``fit`` checks that the stored labeler knows the same feature columns and
    classes, keeps its stored cross-validated quality, and adds how it does on
    the rows given to ``fit`` (``quality_["on_fit_rows"]``, not cross-validated:
    the model was not fitted on them unless the data hash matches).

    Parameters
    ----------
    version : str
        Version id (or a unique prefix), as listed by
        ``python -m augment.labelers.registry list``.
    registry : str
        Registry folder.
    training_data_sha256 : str or None
        When given, the stored version must have been trained on this data.
    """

    name = "stored"

    def __init__(self, version: str | None = None, registry: str = DEFAULT_REGISTRY,
                 training_data_sha256: str | None = None):
        self.version = version
        self.registry = registry
        self.training_data_sha256 = training_data_sha256

    def check_params(self) -> list[str]:
        if not self.version or not isinstance(self.version, str):
            return [f"The stored labeler needs a version id. Got {self.version!r}. Fix: set "
                    "labeler.version=<id> (see 'python -m augment.labelers.registry list')."]
        return []

    @property
    def prior_note(self) -> str:  # type: ignore[override]
        inner = getattr(self, "labeler_", None)
        return f"pinned version; {inner.prior_note}" if inner is not None else "pinned version"

    def fit(self, X: pd.DataFrame, y: pd.Series, schema) -> StoredLabeler:
        from sklearn.metrics import balanced_accuracy_score

        from augment.labelers._calibration import calibration_metrics

        problems = self.check_params()
        if problems:
            raise ConfigError(format_problems("Invalid parameters of labeler 'stored'", problems))
        inner = load(self.version, self.registry, self.training_data_sha256)
        problems = []
        if inner.schema_.features != schema.features:
            problems.append(f"features {inner.schema_.features} (stored) vs "
                            f"{schema.features} (this table)")
        if [str(c) for c in inner.classes_] != [str(c) for c in schema.classes]:
            problems.append(f"classes {list(inner.classes_)} (stored) vs {list(schema.classes)}")
        if problems:
            raise InvalidDataError(f"Pinned labeler {inner.version_!r} does not fit this table: "
                                   + "; ".join(problems) + ". Fix: pin a version trained on a "
                                   "table with the same columns and classes.")
        self.labeler_ = inner
        self.schema_, self.classes_ = inner.schema_, inner.classes_
        self.class_confidence_ = dict(getattr(inner, "class_confidence_", None) or {})
        self.class_reference_ = dict(getattr(inner, "class_reference_", None) or {})
        out = inner.label(X[schema.features])
        proba = out[[f"proba={c}" for c in inner.classes_]].to_numpy()
        codes = inner._codes(y)
        table = X[schema.features].assign(**{schema.target: np.asarray(y)})
        same = training_data_sha256(table) == inner.training_data_sha256_
        self.quality_ = {**inner.quality_, "version": inner.version_,
                         "on_fit_rows": {
                             "balanced_accuracy": round(float(balanced_accuracy_score(
                                 y.astype(str), out["label"].astype(str))), 4),
                             **{k: round(v, 4) for k, v in
                                calibration_metrics(proba, codes).items()},
                             "same_training_data": same}}
        return self

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.labeler_._proba(X)

    def _explain(self, X: pd.DataFrame) -> list[str]:
        return self.labeler_._explain(X)

    def label(self, X: pd.DataFrame) -> pd.DataFrame:
        self._check_fitted()
        return self.labeler_.label(X)

    def to_text(self) -> str:
        self._check_fitted()
        return f"pinned version {self.labeler_.version_}\n{self.labeler_.to_text()}"

    def describe(self) -> dict:
        out = super().describe()
        out["version"] = self.labeler_.version_
        out["stored"] = {"name": self.labeler_.name,
                         "params": _plain(self.labeler_.get_params(deep=False))}
        return out

    def get_state(self) -> dict:
        return self.labeler_.get_state()
