"""Regions a user declares by rule (``regions:`` in the config, ``Augmenter(regions=...)``).

A declared region is an ordinary :class:`Region` (class + category sets + numeric
ranges) with ``kind="declared"``, so every generator aims at it as it aims at a
discovered one, and the pipeline fills it before the rest of its class.
"""

from __future__ import annotations

import difflib
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from augment.data import MISSING, Schema, as_text
from augment.errors import ConfigError, format_problems
from augment.profile._regions import Region
from augment.profile._rule import Condition, RuleSyntaxError, format_value, parse_rule

__all__ = ["DeclaredRegion", "check_declared", "declare_regions", "rule_membership"]

_KEYS = ("rule", "class", "rows", "factor")


@dataclass(frozen=True)
class DeclaredRegion:
    """One entry of ``regions:``, checked for shape (not yet against a table).

    Attributes
    ----------
    rule : str
        The membership rule, e.g. ``"sex == 'Female' and age >= 40"``.
    label : object or None
        The class the region's rows belong to (``class:``); None: from the rule, or
        the one class being grown.
    rows : int or None
        Synthetic rows to add to the region.
    factor : float or None
        Rows wanted after augmentation, as a multiple of the region's real rows (> 1).
    conditions : tuple of Condition
    """

    rule: str
    label: object = None
    rows: int | None = None
    factor: float | None = None
    conditions: tuple = ()


def check_declared(entries) -> tuple[list[DeclaredRegion], list[str]]:
    """Read ``regions`` entries (a rule text, or a mapping with ``rule``, ``class``,
    ``rows``/``factor``); return what could be read and every problem found."""
    if entries is None:
        return [], []
    if isinstance(entries, (str, Mapping)) or not hasattr(entries, "__iter__"):
        return [], [f"regions must be a list of entries (rule, optional class, rows or "
                    f"factor); got {type(entries).__name__} {entries!r}."]
    out, problems = [], []
    for i, entry in enumerate(entries):
        where = f"regions[{i}]"
        if isinstance(entry, str):
            entry = {"rule": entry}
        if not isinstance(entry, Mapping):
            problems.append(f"{where} must be a rule text or a mapping with 'rule'; got "
                            f"{type(entry).__name__} {entry!r}.")
            continue
        unknown = [k for k in entry if k not in _KEYS]
        if unknown:
            problems.append(f"{where} has unknown keys {unknown}; expected keys {list(_KEYS)}.")
        rule = entry.get("rule")
        conditions: list[Condition] = []
        try:
            conditions = parse_rule(rule)
        except RuleSyntaxError as exc:
            problems.append(f"{where}: {exc}")
        rows, factor = entry.get("rows"), entry.get("factor")
        if rows is not None and factor is not None:
            problems.append(f"{where} gives both rows ({rows}) and factor ({factor}); give one.")
        if rows is not None and (not isinstance(rows, numbers.Integral)
                                 or isinstance(rows, bool) or rows < 1):
            problems.append(f"{where} rows (synthetic rows to add) must be an integer >= 1; got "
                            f"{rows!r}.")
        if factor is not None and (not isinstance(factor, numbers.Real)
                                   or isinstance(factor, bool) or not factor > 1
                                   or not math.isfinite(factor)):
            problems.append(f"{where} factor (rows after / real rows) must be a number > 1; got "
                            f"{factor!r}.")
        out.append(DeclaredRegion(rule=str(rule), label=entry.get("class"), rows=rows,
                                  factor=factor, conditions=tuple(conditions)))
    return out, problems


def _close(word: str, options) -> str:
    near = difflib.get_close_matches(str(word), [str(o) for o in options], n=3)
    return f" Did you mean {', '.join(map(repr, near))}?" if near else ""


def _class_of(value, classes) -> object:
    """The class equal to ``value`` (as a value, or as text), else a sentinel."""
    for c in classes:
        same = c == value if not isinstance(c, str) and not isinstance(value, str) else False
        if same or as_text(pd.Series([c], dtype=object)).iloc[0, 0] == str(value):
            return c
    return _NO_CLASS


_NO_CLASS = object()


def _numeric_bounds(cond: Condition, integer: bool) -> tuple[float | None, float | None] | str:
    """``[low, high)`` for one numeric condition, or the problem with it."""
    values = cond.values
    if any(isinstance(v, (str, bool)) for v in values):
        return (f"compares numeric column '{cond.column}' with {format_value(values[0])}; use a "
                "number")
    if cond.op in ("!=", "not in"):
        return (f"'{cond.op}' on numeric column '{cond.column}' is not a range; use "
                f"'{cond.column} < v' or '{cond.column} >= v', or declare two regions")
    if cond.op == "in":
        vals = sorted(float(v) for v in values)
        if integer and all(v == int(v) for v in vals) and vals == list(
                np.arange(vals[0], vals[0] + len(vals))):
            return vals[0], vals[-1] + 1
        if len(vals) > 1:
            return (f"'{cond.column} in {{...}}' must be consecutive integers on an integer "
                    "column; use a range such as 'a <= col < b'")
        cond = Condition(cond.column, "==", (vals[0],))
    v = float(cond.values[0])
    whole = integer and v == int(v)
    up = v + 1 if whole else float(np.nextafter(v, np.inf))
    return {"==": (v, up), "<": (None, v), "<=": (None, up), ">": (up, None),
            ">=": (v, None)}[cond.op]


def rule_membership(conditions, schema: Schema, label=None) -> tuple[object, dict, dict, list]:
    """Turn parsed conditions into ``(class, categories, ranges, problems)``.

    A condition on the target column (``==`` or ``in`` with one value) names the
    class. Categorical (and boolean) columns take ``==``, ``!=``, ``in``, ``not in``,
    compared as text as :meth:`Region.contains` compares them; ``!=`` keeps the
    column's other known values, not a missing one (``'<missing>'`` names it). Numeric columns take
    ``==``, ``<``, ``<=``, ``>``, ``>=`` and ``in`` (consecutive integers). Several
    conditions on one column intersect; an empty intersection is a contradiction.
    """
    problems: list[str] = []
    categories: dict[str, set] = {}
    ranges: dict[str, list] = {}
    for cond in conditions:
        if cond.column == schema.target:
            label = _target_class(cond, list(schema.classes), label, problems)
            continue
        col = _feature_column(cond.column, schema, problems)
        if col is None:
            continue
        if col.is_numeric:
            bounds = _numeric_bounds(cond, col.kind == "integer")
            if isinstance(bounds, str):
                problems.append(bounds)
            else:
                _narrow(ranges.setdefault(cond.column, [None, None]), bounds)
            continue
        allowed = _allowed_values(cond, col, problems)
        if allowed is not None:
            categories[cond.column] = categories.get(cond.column, allowed) & allowed
    problems += _contradictions(categories, ranges)
    if not categories and not ranges and not problems:
        problems.append("the rule narrows no feature column (a whole class is grown by "
                        "sampling_strategy, not by a region)")
    return (label, {c: sorted(v) for c, v in categories.items()},
            {c: tuple(v) for c, v in ranges.items()}, problems)


def _target_class(cond: Condition, classes: list, label, problems: list[str]):
    """The class a condition on the target names; ``label`` unchanged (and a problem) when
    it names none, or another class than ``label``."""
    column = cond.column
    if cond.op not in ("==", "in") or len(cond.values) != 1:
        problems.append(f"the target '{column}' takes one class with '=='; got "
                        f"'{column} {cond.op} ...'")
        return label
    found = _class_of(cond.values[0], classes)
    if found is _NO_CLASS:
        problems.append(f"class {format_value(cond.values[0])} is not in target "
                        f"'{column}' (classes {[str(c) for c in classes]})")
    elif label is not None and label is not _NO_CLASS and found != label:
        problems.append(f"the rule names class {format_value(found)} but the entry "
                        f"names class {format_value(label)}")
    else:
        return found
    return label


def _feature_column(column: str, schema: Schema, problems: list[str]):
    """The generated column a rule names (None, and a problem, for a carried or unknown one)."""
    col = schema.columns.get(column)
    carried = getattr(schema, "carried", {}).get(column)
    if col is None and carried is not None:
        problems.append(f"column '{column}' is carried through, not generated (a likely "
                        f"{carried['kind']}); a rule names generated columns only. Fix: "
                        f"keep_columns=['{column}'] to generate it, or leave it out")
    elif col is None:
        problems.append(f"unknown column '{column}'.{_close(column, schema.columns)} "
                        f"Columns: {list(schema.columns)[:20]}")
    return col


def _narrow(limits: list, bounds: tuple) -> None:
    """Intersect ``[low, high)`` ``limits`` (None: open) with ``bounds``, in place."""
    low, high = limits
    if bounds[0] is not None:
        limits[0] = bounds[0] if low is None else max(low, bounds[0])
    if bounds[1] is not None:
        limits[1] = bounds[1] if high is None else min(high, bounds[1])


def _allowed_values(cond: Condition, col, problems: list[str]) -> set | None:
    """The values (as text) of a categorical column a condition allows (None, and a
    problem, for a numeric operator or a value the column does not have)."""
    column = cond.column
    if cond.op not in ("==", "!=", "in", "not in"):
        problems.append(f"'{cond.op}' on categorical column '{column}'; use ==, !=, in or "
                        "not in")
        return None
    known = list(as_text(pd.Series(list(col.categories), dtype=object)).iloc[:, 0])
    if col.n_missing:  # '<missing>' names the missing value, as reports write it
        known.append(MISSING)
    asked = list(as_text(pd.Series(list(cond.values), dtype=object)).iloc[:, 0])
    unknown = [v for v in asked if v not in known]
    if unknown:
        problems.append(f"value(s) {unknown} not found in column '{column}'."
                        f"{_close(unknown[0], known)} Values: {known[:20]}")
        return None
    return set(asked) if cond.op in ("==", "in") else set(known) - set(asked) - {MISSING}


def _contradictions(categories: dict[str, set], ranges: dict[str, list]) -> list[str]:
    """Columns whose conditions no value meets together."""
    problems = [f"contradictory rule: no value of '{column}' meets every condition on it"
                for column, values in categories.items() if not values]
    problems += [f"contradictory rule: no value of '{column}' is >= {low:g} and < {high:g}"
                 for column, (low, high) in ranges.items()
                 if low is not None and high is not None and not low < high]
    return problems


def declare_regions(entries, table: pd.DataFrame, schema: Schema, class_regions: list[Region]
                    ) -> tuple[list[Region], list[Region]]:
    """Check ``entries`` against the table and build the declared regions.

    Returns ``(declared, class_regions)``: a class a declared region belongs to
    but ``sampling_strategy`` does not grow gets a class region that asks for no
    rows of its own, so the pipeline visits it. Raises :class:`ConfigError` listing
    every problem (unknown column or value, no real rows, contradictory rule, class
    not in the target, bad rows/factor).
    """
    specs, problems = check_declared(entries)
    grown = {r.label: r for r in class_regions}
    declared: list[Region] = []
    for i, spec in enumerate(specs):
        where = f"regions[{i}] ({spec.rule!r})"
        label = _entry_class(spec, where, schema, problems)
        if not spec.conditions:
            continue
        label, categories, ranges, found = rule_membership(spec.conditions, schema, label)
        problems += [f"{where}: {p}" for p in found]
        if found or label is _NO_CLASS:
            continue
        if label is None:
            if len(grown) != 1:
                problems.append(f"{where}: name its class (class: ...); sampling_strategy grows "
                                f"{[str(c) for c in grown] or 'no class'}")
                continue
            label = next(iter(grown))
        region = Region(id=f"class={label}/declared-{i}", target_column=schema.target,
                        label=label, description=Region.describe(schema.target, label,
                                                                 categories, ranges),
                        count=0, target=0, categories=categories, ranges=ranges,
                        kind="declared")
        count = int(region.contains(table).sum())
        if count == 0:
            problems.append(f"{where}: no real row of class {format_value(label)} is inside it; "
                            "a generator needs real rows to learn from. Fix: widen the rule or "
                            "check its values")
            continue
        target = _declared_target(spec, count, grown.get(label))
        declared.append(replace(region, count=count, target=target))
    if problems:
        raise ConfigError(format_problems("Invalid declared regions", problems))
    return declared, _with_visited_classes(class_regions, declared, schema)


def _entry_class(spec, where: str, schema: Schema, problems: list[str]):
    """The class an entry names with ``class:`` (None when it names none; ``_NO_CLASS``,
    and a problem, when the target has no such class)."""
    if spec.label is None:
        return None
    label = _class_of(spec.label, schema.classes)
    if label is _NO_CLASS:
        hint = (" (YAML reads yes/no/on/off as booleans: quote the class, e.g. "
                "class: 'No')" if isinstance(spec.label, bool) else "")
        problems.append(f"{where}: class {spec.label!r} is not in target "
                        f"'{schema.target}' (classes {[str(c) for c in schema.classes]})"
                        + hint)
    return label


def _declared_target(spec, count: int, parent: Region | None) -> int:
    """Rows a declared region should hold: ``count`` plus ``rows``, times ``factor``, or
    (neither given) twice its class's growth, like a discovered region with growth=1."""
    if spec.rows is not None:
        return count + int(spec.rows)
    if spec.factor is not None:
        return max(math.ceil(count * float(spec.factor)), count + 1)
    ratio = parent.target / max(parent.count, 1) if parent is not None else 1.0
    return max(math.ceil(count * ratio * 2), count + 1)


def _with_visited_classes(class_regions: list[Region], declared: list[Region],
                          schema: Schema) -> list[Region]:
    """``class_regions`` plus, for a class only declared regions grow, a class region that
    asks for no rows of its own (so the pipeline visits the class)."""
    grown = {r.label for r in class_regions}
    classes = list(class_regions)
    for label in dict.fromkeys(r.label for r in declared):
        if label not in grown:
            count = int(schema.class_counts[label])
            classes.append(Region(id=f"class={label}", target_column=schema.target, label=label,
                                  description=Region.describe(schema.target, label, {}, {}),
                                  count=count, target=count))
    return classes
