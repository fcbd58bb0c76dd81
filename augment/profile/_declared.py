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
    classes = list(schema.classes)
    for cond in conditions:
        column = cond.column
        if column == schema.target:
            if cond.op not in ("==", "in") or len(cond.values) != 1:
                problems.append(f"the target '{column}' takes one class with '=='; got "
                                f"'{column} {cond.op} ...'")
                continue
            found = _class_of(cond.values[0], classes)
            if found is _NO_CLASS:
                problems.append(f"class {format_value(cond.values[0])} is not in target "
                                f"'{column}' (classes {[str(c) for c in classes]})")
            elif label is not None and label is not _NO_CLASS and found != label:
                problems.append(f"the rule names class {format_value(found)} but the entry "
                                f"names class {format_value(label)}")
            else:
                label = found
            continue
        col = schema.columns.get(column)
        carried = getattr(schema, "carried", {}).get(column)
        if col is None and carried is not None:
            problems.append(f"column '{column}' is carried through, not generated (a likely "
                            f"{carried['kind']}); a rule names generated columns only. Fix: "
                            f"keep_columns=['{column}'] to generate it, or leave it out")
            continue
        if col is None:
            problems.append(f"unknown column '{column}'.{_close(column, schema.columns)} "
                            f"Columns: {list(schema.columns)[:20]}")
            continue
        if col.is_numeric:
            bounds = _numeric_bounds(cond, col.kind == "integer")
            if isinstance(bounds, str):
                problems.append(bounds)
                continue
            low, high = ranges.setdefault(column, [None, None])
            if bounds[0] is not None:
                ranges[column][0] = bounds[0] if low is None else max(low, bounds[0])
            if bounds[1] is not None:
                ranges[column][1] = bounds[1] if high is None else min(high, bounds[1])
            continue
        if cond.op not in ("==", "!=", "in", "not in"):
            problems.append(f"'{cond.op}' on categorical column '{column}'; use ==, !=, in or "
                            "not in")
            continue
        known = list(as_text(pd.Series(list(col.categories), dtype=object)).iloc[:, 0])
        if col.n_missing:  # '<missing>' names the missing value, as reports write it
            known.append(MISSING)
        asked = list(as_text(pd.Series(list(cond.values), dtype=object)).iloc[:, 0])
        unknown = [v for v in asked if v not in known]
        if unknown:
            problems.append(f"value(s) {unknown} not found in column '{column}'."
                            f"{_close(unknown[0], known)} Values: {known[:20]}")
            continue
        allowed = (set(asked) if cond.op in ("==", "in")
                   else set(known) - set(asked) - {MISSING})
        categories[column] = categories.get(column, allowed) & allowed
    for column, values in categories.items():
        if not values:
            problems.append(f"contradictory rule: no value of '{column}' meets every condition "
                            "on it")
    for column, (low, high) in ranges.items():
        if low is not None and high is not None and not low < high:
            problems.append(f"contradictory rule: no value of '{column}' is >= {low:g} and "
                            f"< {high:g}")
    if not categories and not ranges and not problems:
        problems.append("the rule narrows no feature column (a whole class is grown by "
                        "sampling_strategy, not by a region)")
    return (label, {c: sorted(v) for c, v in categories.items()},
            {c: tuple(v) for c, v in ranges.items()}, problems)


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
        label = None
        if spec.label is not None:
            label = _class_of(spec.label, schema.classes)
            if label is _NO_CLASS:
                hint = (" (YAML reads yes/no/on/off as booleans: quote the class, e.g. "
                        "class: 'No')" if isinstance(spec.label, bool) else "")
                problems.append(f"{where}: class {spec.label!r} is not in target "
                                f"'{schema.target}' (classes {[str(c) for c in schema.classes]})"
                                + hint)
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
        parent = grown.get(label)
        if spec.rows is not None:
            target = count + int(spec.rows)
        elif spec.factor is not None:
            target = max(math.ceil(count * float(spec.factor)), count + 1)
        else:  # like a discovered region with growth=1: twice its class's growth
            ratio = parent.target / max(parent.count, 1) if parent is not None else 1.0
            target = max(math.ceil(count * ratio * 2), count + 1)
        declared.append(replace(region, count=count, target=target))
    if problems:
        raise ConfigError(format_problems("Invalid declared regions", problems))
    classes = list(class_regions)
    for label in dict.fromkeys(r.label for r in declared):
        if label not in grown:
            count = int(schema.class_counts[label])
            classes.append(Region(id=f"class={label}", target_column=schema.target, label=label,
                                  description=Region.describe(schema.target, label, {}, {}),
                                  count=count, target=count))
    return declared, classes
