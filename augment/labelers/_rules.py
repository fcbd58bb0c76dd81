"""Expert rules from a YAML file: conditions on columns -> label and confidence.

A rules file reads::

    rules:
      - name: large_c_loans          # optional; shown in explanations
        when:
          amount: {">": 150}         # operators: < <= > >= == != in, not in, between
          grade: {in: [C]}
          flag: true                 # a bare value means ==
        label: "yes"
        confidence: 0.9              # in (0, 1]

The first rule whose every condition holds decides a row (file order is priority).
A missing value never satisfies a condition.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from augment.data import as_text
from augment.errors import ConfigError, format_problems
from augment.labelers.base import BaseLabeler, _plain

__all__ = ["RuleLabeler", "load_rules"]

UNCOVERED = ("fallback", "abstain")
NUMERIC_OPS = ("<", "<=", ">", ">=")
SET_OPS = ("==", "!=", "in", "not in")
OPS = (*NUMERIC_OPS, *SET_OPS, "between")
ABSTAIN = "abstain: no rule covers this row"


def _node_lines(path: str | None, text: str) -> list[dict]:
    """Line numbers of every rule and of each of its condition keys (1-based)."""
    import yaml

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    lines: list[dict] = []
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key, value in root.value:
        if key.value == "rules" and isinstance(value, yaml.SequenceNode):
            for item in value.value:
                entry = {"rule": item.start_mark.line + 1, "when": {}}
                if isinstance(item, yaml.MappingNode):
                    for k, v in item.value:
                        entry[k.value] = k.start_mark.line + 1
                        if k.value == "when" and isinstance(v, yaml.MappingNode):
                            entry["when"] = {ck.value: ck.start_mark.line + 1 for ck, _ in v.value}
                lines.append(entry)
    return lines


def _resolve(path: Path) -> Path:
    """A relative path is looked up in the working directory, then in augment's config folder."""
    if path.is_absolute() or path.is_file():
        return path
    here = Path(__file__).resolve().parents[1]
    for conf in (here / "conf", here.parent / "conf"):
        if (conf / path).is_file():
            return conf / path
    return path


def load_rules(source: str | Path | list[dict]) -> tuple[list[dict], list[dict], str]:
    """Read rules from a YAML file (or take a list as is); return (rules, line numbers, origin).

    Raises
    ------
    ConfigError
        The file is missing, is not valid YAML, or has no ``rules:`` list.
    """
    import yaml

    if isinstance(source, (list, tuple)):
        return [dict(r) if isinstance(r, dict) else r for r in source], [], "rules list"
    path = _resolve(Path(source))
    if not path.is_file():
        raise ConfigError(f"Rules file {str(path)!r} not found. Expected a YAML file with a "
                          "'rules:' list. Fix: check labeler.rules.")
    text = path.read_text()
    try:
        data = yaml.safe_load(text)
        lines = _node_lines(str(path), text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{where}: the rules file is not valid YAML ({problem}). Fix: correct "
                          "the YAML syntax at that line.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise ConfigError(f"{path}:1: expected a mapping with a 'rules:' list; got "
                          f"{type(data).__name__}. Fix: start the file with 'rules:'.")
    return data["rules"], lines, str(source)


def _validate(rules: list, lines: list[dict], origin: str, schema) -> list[dict]:
    """Check every rule against the table's columns and classes; raise once with all problems."""
    problems: list[str] = []
    classes = {str(c): c for c in schema.classes}
    parsed = []
    for i, rule in enumerate(rules):
        at = lines[i] if i < len(lines) else {}
        where = _locator(origin, at, i)
        if not isinstance(rule, dict):
            problems.append(f"{where()}: expected a mapping with when/label/confidence; got "
                            f"{rule!r}.")
            continue
        name = str(rule.get("name", f"rule{i + 1}"))
        label, confidence = _check_head(rule, name, where, classes, schema.target, problems)
        conditions = []
        for column, spec in _when(rule, name, where, problems).items():
            conditions += _column_conditions(column, spec, where(column=column), name, schema,
                                             problems)
        parsed.append({"name": name, "when": conditions, "label": classes.get(str(label)),
                       "confidence": float(confidence), "line": at.get("rule")})
    if problems:
        raise ConfigError(format_problems(f"Invalid rules in {origin}", problems))
    return parsed


def _locator(origin: str, at: dict, i: int):
    """``where(key=..., column=...)``: ``file:line`` of a rule's key or condition (or of the
    rule; ``origin rule #n`` when no line is known)."""
    def where(key: str | None = None, column: str | None = None) -> str:
        line = at.get("when", {}).get(column) if column else at.get(key) if key else None
        line = line or at.get("rule")
        return f"{origin}:{line}" if line else f"{origin} rule #{i + 1}"

    return where


def _check_head(rule: dict, name: str, where, classes: dict, target: str,
                problems: list[str]) -> tuple[Any, float]:
    """A rule's keys, label and confidence checked; (label, confidence: 1.0 if invalid)."""
    unknown_keys = set(rule) - {"name", "when", "label", "confidence"}
    if unknown_keys:
        problems.append(f"{where()}: unknown keys {sorted(unknown_keys)}; expected name, "
                        "when, label, confidence.")
    label = rule.get("label")
    if str(label) not in classes:
        problems.append(f"{where('label')}: rule {name!r} gives label {label!r}, which is "
                        f"not a class of '{target}' {sorted(classes)}. Fix: use one "
                        "of them.")
    confidence = rule.get("confidence", 1.0)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not (
            0.0 < float(confidence) <= 1.0):
        problems.append(f"{where('confidence')}: rule {name!r} has confidence "
                        f"{confidence!r}; expected a number in (0, 1].")
        confidence = 1.0
    return label, confidence


def _when(rule: dict, name: str, where, problems: list[str]) -> dict:
    """A rule's ``when:`` mapping ({} and a problem when it is missing or empty)."""
    when = rule.get("when")
    if not isinstance(when, dict) or not when:
        problems.append(f"{where('when')}: rule {name!r} needs a non-empty 'when:' mapping "
                        "of column -> condition.")
        return {}
    return when


def _column_conditions(column, spec, loc: str, name: str, schema,
                       problems: list[str]) -> list[dict]:
    """The checked conditions one ``when:`` entry puts on a column."""
    if column not in schema.columns:
        problems.append(f"{loc}: rule {name!r} uses unknown column {column!r}. Expected "
                        f"one of {schema.features}.")
        return []
    spec = spec if isinstance(spec, dict) else {"==": spec}
    check = _ColumnCheck(column, spec, loc, name, problems)
    numeric = schema.columns[column].is_numeric
    conditions = []
    for op, value in spec.items():
        op = str(op)
        if op not in OPS:
            problems.append(f"{loc}: unknown operator {op!r} on {column!r}; expected "
                            f"one of {list(OPS)}.")
            continue
        value = (check.bound(op, value, numeric) if op in NUMERIC_OPS or op == "between"
                 else check.choice(op, value))
        if value is not None:
            conditions.append({"column": column, "op": op, "value": value})
    return conditions


class _ColumnCheck:
    """The operators of one column's condition, checked together: the range the numeric ones
    leave and the values the set ones allow, so a condition that can never hold is named."""

    def __init__(self, column, spec: dict, loc: str, name: str, problems: list[str]):
        self.column, self.spec, self.loc, self.name = column, spec, loc, name
        self.problems = problems
        self.lo, self.hi, self.allowed = -math.inf, math.inf, None

    def _impossible(self) -> None:
        self.problems.append(f"{self.loc}: rule {self.name!r} has an impossible condition on "
                             f"{self.column!r}: {self.spec} can never hold.")

    def bound(self, op: str, value, numeric: bool):
        """``< <= > >= between``: the value(s) as floats; None when not numbers."""
        values = value if op == "between" else [value]
        if not numeric or (op == "between" and (
                not isinstance(value, list) or len(value) != 2)) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            self.problems.append(f"{self.loc}: {self.column!r} {op} {value!r} needs a numeric "
                                 "column and number(s) ('between' takes [low, high]).")
            return None
        if op in ("<", "<="):
            self.hi = min(self.hi, float(value))
        elif op in (">", ">="):
            self.lo = max(self.lo, float(value))
        else:
            self.lo, self.hi = max(self.lo, float(value[0])), min(self.hi, float(value[1]))
            if value[0] > value[1]:
                self.lo, self.hi = math.inf, -math.inf
        if self.lo > self.hi or (self.lo == self.hi and any(o in self.spec for o in ("<", ">"))):
            self._impossible()
        return [float(v) for v in value] if op == "between" else float(value)

    def choice(self, op: str, value):
        """``== != in, not in``: the values as sorted text; None when a list is missing."""
        values = value if op in ("in", "not in") else [value]
        if not isinstance(values, list):
            self.problems.append(f"{self.loc}: {self.column!r} {op} needs a list; got "
                                 f"{value!r}.")
            return None
        text = {str(v) for v in values}
        if op in ("in", "=="):
            self.allowed = text if self.allowed is None else self.allowed & text
            if not self.allowed:
                self._impossible()
        return sorted(text)


def _condition_text(c: dict) -> str:
    value = c["value"]
    if c["op"] in ("in", "not in"):
        return f"{c['column']} {c['op']} {{{', '.join(value)}}}"
    if c["op"] == "between":
        return f"{value[0]:g} <= {c['column']} <= {value[1]:g}"
    shown = value[0] if c["op"] in ("==", "!=") else f"{value:g}"
    return f"{c['column']} {c['op']} {shown}"


def rule_text(rule: dict) -> str:
    """``name: cond and cond -> label (confidence c)``."""
    conds = " and ".join(_condition_text(c) for c in rule["when"])
    return f"{rule['name']}: {conds} -> {rule['label']} (confidence {rule['confidence']:g})"


def rule_mask(rule: dict, X: pd.DataFrame, numeric: set) -> np.ndarray:
    """Rows where every condition of ``rule`` holds (missing values never hold)."""
    mask = np.ones(len(X), bool)
    for c in rule["when"]:
        col, op, value = c["column"], c["op"], c["value"]
        if col in numeric:
            x = pd.to_numeric(X[col], errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                if op == "between":
                    hold = (x >= value[0]) & (x <= value[1])
                elif op in NUMERIC_OPS:
                    hold = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                            ">=": np.greater_equal}[op](x, value)
                else:
                    hold = np.isin(x, [float(v) for v in value if _is_number(v)])
                    hold = hold if op in ("==", "in") else ~hold & ~np.isnan(x)
        else:
            text = as_text(X[[col]])[col]
            present = X[col].notna().to_numpy()
            hold = text.isin(value).to_numpy()
            hold = hold & present if op in ("==", "in") else ~hold & present
        mask &= hold
    return mask


def _is_number(v: Any) -> bool:
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


class RuleLabeler(BaseLabeler):
    """Expert rules that override a fitted base labeler, or act alone.

    Parameters
    ----------
    rules : str or list of dict
        Path of a YAML rules file (format in the module docstring), or the
        list of rules itself. A relative path is looked up in the working
        directory, then in augment's config folder (``labeler/rules/...``).
    base : str, BaseLabeler or None
        Labeler fitted on the real rows for rows no rule covers (a name from
        ``LABELERS`` or an instance); ``None`` means rules act alone.
    uncovered : {"fallback", "abstain"}
        What rows no rule covers get: the base labeler's verdict, or no label
        (label ``None``, confidence 0, explanation ``"abstain: ..."``).
    random_state : int or None
        Passed to the base labeler when it takes one.
    reference_quantile : float in [0, 1] or None
        The reference confidence per class (see :class:`BaseLabeler`), taken on
        the rules-and-base probabilities of the real rows. None: no reference.
    reference : {"oof", "in_sample"}
        Which probabilities that quantile is taken on (see ``BaseLabeler``).

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> df = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.9, 1.0, 1.1] * 5,
    ...                    "y": ["a", "a", "a", "b", "b", "b"] * 5})
    >>> rules = [{"when": {"x": {">": 0.5}}, "label": "b", "confidence": 0.9}]
    >>> lab = RuleLabeler(rules, base=None, uncovered="abstain")
    >>> lab = lab.fit(df[["x"]], df["y"], detect_schema(df, "y"))
    >>> lab.label(pd.DataFrame({"x": [0.0, 2.0]}))["label"].tolist()
    [None, 'b']
    """

    name = "rules"
    prior_note = ("a covering rule's stated confidence; other rows: the base labeler's "
                  "probabilities (or none: abstained)")

    def __init__(self, rules: str | list | None = None, base: str | BaseLabeler | None = "tree",
                 uncovered: str = "fallback", random_state: int | None = None,
                 reference_quantile: float | None = 0.75, reference: str = "in_sample"):
        self.rules = rules
        self.base = base
        self.uncovered = uncovered
        self.random_state = random_state
        self.reference_quantile = reference_quantile
        self.reference = reference

    def check_params(self) -> list[str]:
        """Also reads the rules file (its columns and classes are checked against the table
        in ``fit``) and checks the base labeler's own parameters."""
        problems = super().check_params()
        if self.uncovered not in UNCOVERED:
            problems.append(f"uncovered must be one of {list(UNCOVERED)}; got "
                            f"{self.uncovered!r}. Fix: fallback (the base labeler decides) or "
                            "abstain (no label).")
        if self.base is None and self.uncovered == "fallback":
            problems.append("uncovered='fallback' needs a base labeler; got base=None. Fix: "
                            "set base (e.g. 'tree') or uncovered='abstain'.")
        if self.rules is None:
            problems.append("The rules labeler needs rules: a YAML file path or a list. Got "
                            "None. Fix: set labeler.rules=path/to/rules.yaml.")
        else:
            try:
                load_rules(self.rules)
            except ConfigError as exc:
                problems.append(str(exc))
        try:
            base = self._make_base()
        except ConfigError as exc:
            problems.append(str(exc))
        else:
            if base is not None:
                problems += [f"base labeler: {p}" for p in base.check_params()]
        return problems

    def _make_base(self) -> BaseLabeler | None:
        from augment.labelers import LABELERS

        if self.base is None:
            return None
        if isinstance(self.base, BaseLabeler):
            base = clone(self.base)
        elif isinstance(self.base, str) and self.base in LABELERS and self.base != self.name:
            base = LABELERS[self.base]()
        else:
            raise ConfigError(f"Expected base to be a labeler name {sorted(LABELERS)} other than "
                              f"'rules', a labeler, or None. Got {self.base!r}.")
        params = base.get_params(deep=False)
        if "random_state" in params and params["random_state"] is None:
            base.set_params(random_state=self.random_state)
        return base

    def _balanced(self) -> bool:
        base = self.base
        if isinstance(base, str):
            from augment.labelers import LABELERS

            base = LABELERS[base]() if base in LABELERS else None
        return getattr(base, "class_weight", None) == "balanced"

    def _fit(self, X: pd.DataFrame, y: pd.Series) -> None:
        rules, lines, origin = load_rules(self.rules)
        self.rules_ = _validate(rules, lines, origin, self.schema_)
        self.origin_ = origin
        self.base_ = self._make_base()
        if self.base_ is not None:
            self.base_._fit_core(X, y, self.schema_)

    def _matches(self, X: pd.DataFrame) -> np.ndarray:
        """Index of the first covering rule per row; -1 where none covers."""
        numeric = set(self.schema_.numeric)
        first = np.full(len(X), -1)
        for i, rule in enumerate(self.rules_):
            hit = rule_mask(rule, X, numeric) & (first < 0)
            first[hit] = i
        return first

    def _predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        k = len(self.classes_)
        base = self.base_._proba(X) if self.base_ is not None else np.full((len(X), k), 1 / k)
        proba = base.copy()
        first = self._matches(X)
        index = {str(c): j for j, c in enumerate(self.classes_)}
        for row in np.flatnonzero(first >= 0):
            rule = self.rules_[first[row]]
            j, conf = index[str(rule["label"])], rule["confidence"]
            others = np.delete(base[row], j)
            rest = others / others.sum() if others.sum() > 0 else np.full(k - 1, 1 / (k - 1))
            proba[row] = np.insert(rest * (1 - conf), j, conf)
        return proba

    def _explain(self, X: pd.DataFrame) -> list[str]:
        first = self._matches(X)
        base = (self.base_._explain(X) if self.base_ is not None and self.uncovered == "fallback"
                else None)
        return [rule_text(self.rules_[f]) if f >= 0 else
                (f"no rule; {self.base_.name}: {base[i]}" if base is not None else ABSTAIN)
                for i, f in enumerate(first)]

    def label(self, X: pd.DataFrame) -> pd.DataFrame:
        out = super().label(X)
        if self.uncovered == "abstain":
            none = self._matches(X[self.schema_.features]) < 0
            out.loc[none, "label"] = None
            out.loc[none, "confidence"] = 0.0
        return out

    def to_text(self) -> str:
        self._check_fitted()
        lines = [f"rules from {self.origin_} (first match decides):"]
        lines += [f"  {i + 1}. {rule_text(r)}" for i, r in enumerate(self.rules_)]
        if self.base_ is None:
            lines.append("rows no rule covers: abstain")
        else:
            lines.append(f"rows no rule covers: {self.uncovered} "
                         f"(base labeler '{self.base_.name}')")
            lines.append(self.base_.to_text())
        return "\n".join(lines)

    def _get_state(self) -> dict:
        base = None
        if self.base_ is not None:
            base = {"name": self.base_.name, "params": _plain(self.base_.get_params(deep=False)),
                    "state": self.base_.get_state()}
        return {"rules": _plain(self.rules_), "origin": self.origin_, "base": base}

    def _set_state(self, state: dict) -> None:
        from augment.labelers import LABELERS

        self.rules_ = state["rules"]
        self.origin_ = state["origin"]
        self.base_ = None
        if state["base"] is not None:
            base = LABELERS[state["base"]["name"]](**state["base"]["params"])
            self.base_ = base.set_state(state["base"]["state"])
