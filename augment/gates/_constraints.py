"""Constraints: declared (ranges, inequality chains, fixed combinations, allowed values) and
discovered (inequalities and fixed combinations that hold in every real row)."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from augment.data import Schema, as_text
from augment.errors import ConfigError, format_problems
from augment.gates.base import RowGate, row_result

__all__ = ["Constraint", "ConstraintGate", "discover_constraints"]

_OPS = {"<=": np.less_equal, "<": np.less, ">=": np.greater_equal, ">": np.greater}
_SPLIT = re.compile(r"\s*(<=|>=|<|>)\s*")


@dataclass(frozen=True)
class Constraint:
    """One rule every row must satisfy.

    ``kind`` is ``range``, ``inequality``, ``combination`` or ``allowed``; ``columns``
    the columns it reads; ``text`` the readable form used in reasons and reports;
    ``spec`` the parsed parameters.
    """

    kind: str
    columns: tuple
    text: str
    spec: tuple

    def violated(self, frame: pd.DataFrame, allowed_combos=None) -> np.ndarray:
        """Boolean mask of rows breaking the rule (a missing value breaks nothing)."""
        if self.kind == "range":
            (name,), (low, high) = self.columns, self.spec
            x = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                bad = np.zeros(len(x), bool)
                if low is not None:
                    bad |= x < low
                if high is not None:
                    bad |= x > high
            return bad
        if self.kind == "inequality":
            left, op, right = self.spec
            a, b = _operand(frame, left), _operand(frame, right)
            with np.errstate(invalid="ignore"):
                return ~_OPS[op](a, b) & ~np.isnan(a) & ~np.isnan(b)
        if self.kind == "allowed":
            (name,), values = self.columns, self.spec
            text = as_text(frame[name]).iloc[:, 0]
            return (~text.isin(values) & frame[name].notna()).to_numpy()
        if self.kind == "combination":
            keys = _combo_keys(frame, self.columns)
            return ~np.isin(keys, list(allowed_combos)) & frame[list(self.columns)].notna().all(
                axis=1).to_numpy()
        raise ValueError(f"unknown constraint kind {self.kind!r}")


def _operand(frame: pd.DataFrame, operand) -> np.ndarray:
    if isinstance(operand, str):
        return pd.to_numeric(frame[operand], errors="coerce").to_numpy(dtype=float)
    return np.full(len(frame), float(operand))


def _combo_keys(frame: pd.DataFrame, columns) -> np.ndarray:
    text = as_text(frame[list(columns)])
    return text.agg("\x1f".join, axis=1).to_numpy() if len(text) else np.array([], dtype=object)


def _parse_chain(chain) -> tuple[list, list[str]]:
    """``"a <= b < 3"`` or ``["a", "<=", "b"]`` -> (operands, operators)."""
    if isinstance(chain, str):
        parts = _SPLIT.split(chain.strip())
    elif isinstance(chain, (list, tuple)):
        parts = [str(p).strip() for p in chain]
    else:
        raise ValueError(f"expected a string like 'a <= b <= c'; got {chain!r}")
    operands, ops = parts[0::2], parts[1::2]
    if len(operands) < 2 or len(ops) != len(operands) - 1 or any(o not in _OPS for o in ops) \
            or any(not p for p in operands):
        raise ValueError(f"expected a chain like 'a <= b <= c' (operators <=, <, >=, >); "
                         f"got {chain!r}")
    parsed = []
    for p in operands:
        try:
            parsed.append(float(p))
        except ValueError:
            parsed.append(p)
    return parsed, ops


class ConstraintGate(RowGate):
    """Rejects rows that break a declared (or, optionally, discovered) constraint.

    Parameters
    ----------
    ranges : dict, optional
        ``{column: [min, max]}``; either bound may be null (open).
    inequalities : list of str, optional
        Chains such as ``"open_il_12m <= open_il_24m <= num_il_tl"`` or ``"0 < int_rate"``
        (operators ``<=``, ``<``, ``>=``, ``>``; operands are columns or numbers). Each
        link is a separate constraint.
    fixed_combinations : list of list of str, optional
        Column groups whose value combinations must be ones seen in real rows
        (e.g. ``[[grade, sub_grade]]``).
    allowed_values : dict, optional
        ``{column: [value, ...]}``; values compare as text.
    enforce_discovered : bool
        Also enforce what :func:`discover_constraints` finds in the real rows (default:
        rules every real row follows; set False to check declared constraints only).
    max_discovered : int
        Most discovered inequalities kept (the tightest first).

    A missing value never breaks a constraint (the validity gate judges missingness).
    ``fit`` raises :class:`~augment.errors.ConfigError` listing every constraint that
    names an unknown column or that real rows break (with how many). ``score`` is
    the share of constraints a row satisfies; ``reason`` names the first broken one.
    ``constraints_`` lists the enforced rules and ``discovered_`` the discovered ones.

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> real = pd.DataFrame({"a": [1, 2, 3, 4], "b": [2, 2, 5, 9], "y": [0, 1, 0, 1]})
    >>> gate = ConstraintGate(inequalities=["a <= b"]).fit(real, detect_schema(real, "y"))
    >>> gate.check(pd.DataFrame({"a": [1, 5], "b": [3, 4], "y": [1, 1]}))["reason"].tolist()
    ['', 'constraints: a <= b broken (a=5, b=4)']
    """

    name = "constraints"
    cost = 1

    def __init__(self, ranges: dict | None = None, inequalities: list | None = None,
                 fixed_combinations: list | None = None, allowed_values: dict | None = None,
                 enforce_discovered: bool = True, max_discovered: int = 50):
        self.ranges = ranges
        self.inequalities = inequalities
        self.fixed_combinations = fixed_combinations
        self.allowed_values = allowed_values
        self.enforce_discovered = enforce_discovered
        self.max_discovered = max_discovered

    def _declared(self) -> tuple[list[Constraint], list[str]]:
        """Parse the declared constraints; return (constraints, problems)."""
        out, problems = [], []
        for name, bounds in dict(self.ranges or {}).items():
            try:
                low, high = (None if b is None else float(b) for b in bounds)
            except (TypeError, ValueError):
                problems.append(f"range for '{name}' must be [min, max] (null for open); got "
                                f"{bounds!r}.")
                continue
            if low is not None and high is not None and low > high:
                problems.append(f"range for '{name}' has min {low:g} > max {high:g}.")
                continue
            text = f"{'' if low is None else f'{low:g} <= '}{name}" \
                   f"{'' if high is None else f' <= {high:g}'}"
            out.append(Constraint("range", (str(name),), text, (low, high)))
        for chain in list(self.inequalities or []):
            try:
                operands, ops = _parse_chain(chain)
            except ValueError as exc:
                problems.append(f"inequality {exc}.")
                continue
            for left, op, right in zip(operands, ops, operands[1:]):
                cols = tuple(p for p in (left, right) if isinstance(p, str))
                if not cols:
                    problems.append(f"inequality '{left:g} {op} {right:g}' in {chain!r} names no "
                                    "column.")
                    continue
                text = f"{left if isinstance(left, str) else f'{left:g}'} {op} " \
                       f"{right if isinstance(right, str) else f'{right:g}'}"
                out.append(Constraint("inequality", cols, text, (left, op, right)))
        for group in list(self.fixed_combinations or []):
            if isinstance(group, str) or len(group) < 2:
                problems.append(f"fixed combination must list at least 2 columns; got {group!r}.")
                continue
            cols = tuple(str(c) for c in group)
            out.append(Constraint("combination", cols, "fixed combination (" + ", ".join(cols)
                                  + ")", ()))
        for name, values in dict(self.allowed_values or {}).items():
            if isinstance(values, str) or not len(values):
                problems.append(f"allowed values for '{name}' must be a non-empty list; got "
                                f"{values!r}.")
                continue
            values = tuple(str(v) for v in values)
            shown = ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
            out.append(Constraint("allowed", (str(name),), f"{name} in {{{shown}}}", values))
        return out, problems

    def check_params(self) -> list[str]:
        problems = self._declared()[1]
        if not isinstance(self.max_discovered, int) or self.max_discovered < 0:
            problems.append(f"constraints max_discovered must be an integer >= 0; got "
                            f"{self.max_discovered!r}.")
        return problems

    def fit(self, real: pd.DataFrame, schema: Schema) -> ConstraintGate:
        """Check every declared constraint against the real rows, then discover more."""
        constraints, problems = self._declared()[0], self.check_params()
        for c in constraints:
            unknown = [col for col in c.columns if col not in schema.columns]
            if unknown:
                problems.append(f"constraint '{c.text}' names unknown column(s) {unknown}; "
                                f"feature columns are {schema.features}.")
                continue
            non_numeric = [col for col in c.columns if c.kind in ("range", "inequality")
                           and not schema.columns[col].is_numeric]
            if non_numeric:
                problems.append(f"constraint '{c.text}' compares non-numeric column(s) "
                                f"{non_numeric}.")
                continue
            combos = (set(_combo_keys(real, c.columns)) if c.kind == "combination" else None)
            if c.kind == "combination":
                continue  # the real combinations define the constraint; real rows never break it
            n_bad = int(c.violated(real, combos).sum())
            if n_bad:
                problems.append(f"constraint '{c.text}' is broken by {n_bad} of {len(real)} real "
                                "rows. Fix: correct or drop the constraint.")
        if problems:
            raise ConfigError(format_problems("The constraints gate cannot use its config",
                                              problems))
        return super().fit(real, schema)

    def _fit(self, real: pd.DataFrame) -> None:
        declared = self._declared()[0]
        self.discovered_ = discover_constraints(real, self.schema_, max_inequalities=int(
            self.max_discovered))
        known = {(c.kind, c.columns) for c in declared}
        extra = [c for c in self.discovered_ if (c.kind, c.columns) not in known]
        self.constraints_ = declared + (extra if self.enforce_discovered else [])
        self.combinations_ = {c.columns: set(_combo_keys(real, c.columns))
                              for c in self.constraints_ if c.kind == "combination"}

    def _check(self, rows: pd.DataFrame, labels) -> pd.DataFrame:
        n = len(rows)
        n_bad = np.zeros(n, int)
        reason = np.full(n, "", dtype=object)
        for c in self.constraints_:
            bad = c.violated(rows, self.combinations_.get(c.columns))
            new = np.flatnonzero(bad & (n_bad == 0))
            n_bad += bad
            if len(new):
                shown = [[f"{col}={_show(v)}" for v in rows[col].to_numpy()[new]]
                         for col in c.columns]
                reason[new] = [f"constraints: {c.text} broken ({', '.join(values)})"
                               for values in zip(*shown)]
        score = 1.0 - n_bad / max(len(self.constraints_), 1)
        return row_result(rows.index, n_bad == 0, score, reason)

    def describe(self) -> list[str]:
        """Readable list of the enforced constraints (for the report)."""
        return [c.text for c in self.constraints_]


def _show(value) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)


#: Most numeric columns whose pairs are searched for inequalities.
MAX_NUMERIC_PAIR_COLUMNS = 200
#: A discovered ``a <= b`` is kept only when, were ``a`` and ``b`` independent (the real
#: rows' values paired at random), at least this many of the real rows would break it. Then
#: seeing none break it is evidence of a rule (P < e^-10 under independence); fewer, and it
#: is a coincidence of the two ranges (``age <= bp`` on Pima), which a generator that keeps
#: the marginals breaks only in the tails, and enforcing it would cut those tails.
MIN_EXPECTED_BREAKS = 10.0


def expected_breaks(x: np.ndarray, y: np.ndarray) -> float:
    """Rows expected to have ``x > y`` if the values of ``x`` and ``y`` were paired at random."""
    ys = np.sort(y)
    below = np.searchsorted(ys, x, side="left")  # values of y strictly below each x
    return float(below.sum()) / len(y)


def discover_constraints(table: pd.DataFrame, schema: Schema, *, max_inequalities: int = 50,
                         min_rows_per_value: int = 2) -> list[Constraint]:
    """Inequalities and fixed combinations that hold in every real row.

    - ``a <= b`` for numeric columns, holding in every row where both are
      present, with evidence beyond the two ranges: paired at random, at least
      :data:`MIN_EXPECTED_BREAKS` rows would break it (coincidences such as
      ``age <= bp`` are not listed); ordered by how often ``a == b`` is false
      (tighter first), at most ``max_inequalities``;
    - fixed combinations ``(a, b)`` of categorical columns where ``a`` determines
      ``b`` (each value of ``a`` comes with one value of ``b``), ``b`` has at
      least two values and every value of ``a`` is seen in at least
      ``min_rows_per_value`` rows (so the dependency is not an accident of rare values).

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> a = list(range(40))
    >>> t = pd.DataFrame({"a": a, "b": [v + 1 for v in a], "y": [0, 1] * 20})
    >>> [c.text for c in discover_constraints(t, detect_schema(t, "y"))]
    ['a <= b']
    """
    found: list[tuple[float, Constraint]] = []
    numeric = {name: pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
               for name in schema.numeric}
    # pairs grow quadratically: above MAX_NUMERIC_PAIR_COLUMNS numeric columns inequalities
    # are not searched (declared ones are still checked)
    columns = schema.numeric if len(schema.numeric) <= MAX_NUMERIC_PAIR_COLUMNS else []
    for a, b in itertools.permutations(columns, 2):
        x, y = numeric[a], numeric[b]
        both = ~np.isnan(x) & ~np.isnan(y)
        if both.sum() < 2:
            continue
        x, y = x[both], y[both]
        if np.nanmax(numeric[a]) <= np.nanmin(numeric[b]):
            continue  # implied by the ranges
        if not np.all(x <= y):
            continue
        if expected_breaks(x, y) < MIN_EXPECTED_BREAKS:
            continue  # the ranges nearly imply it: no evidence of a rule
        equal = float(np.mean(x == y))
        if equal == 1.0 and a > b:
            continue  # a == b everywhere: list it once
        found.append((equal, Constraint("inequality", (a, b), f"{a} <= {b}", (a, "<=", b))))
    found.sort(key=lambda item: (item[0], item[1].text))
    out = [c for _, c in found[:max_inequalities]]
    cats = schema.categorical
    text = {name: as_text(table[name]).iloc[:, 0] for name in cats}
    for a, b in itertools.permutations(cats, 2):
        counts = text[a].value_counts()
        if text[b].nunique() < 2 or counts.min() < min_rows_per_value or len(counts) < 2:
            continue
        if (pd.DataFrame({"a": text[a], "b": text[b]}).groupby("a")["b"].nunique() == 1).all():
            out.append(Constraint("combination", (a, b),
                                  f"fixed combination ({a}, {b}): {a} determines {b}", ()))
    return out
