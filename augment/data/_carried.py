"""Columns that are not features: row identifiers and date/time text, found before generation.

:func:`augment.data.detect_schema` leaves them (and constant columns) out of
generation and checks and lists them in ``Schema.carried``; the augmenter puts
them back after assembly: real rows keep their values, synthetic rows get a
missing value (a constant column: its value).
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["carried_notes", "datetime_text", "identifier"]

#: Identifier detection: a text column with at least this share of distinct values (and at
#: least ``_ID_MIN_VALUES`` of them) names rows rather than describing them.
_ID_DISTINCT_SHARE = 0.9
_ID_MIN_VALUES = 20
#: Integer columns named like an identifier (``id``, ``row_id``, ``PassengerId``, ``rownames``,
#: ``Unnamed: 0``) are identifiers when nearly all distinct, even unordered.
_ID_NAMES = re.compile(r"^(id|key|index|rownames|row_?names?|unnamed: ?\d+)$|[_ .-]id$",
                       re.IGNORECASE)
_CAMEL_ID = re.compile(r"[a-z0-9](Id|ID)$")
#: Date/time text: ISO dates with optional time and zone, or d/m/y and m/d/y forms.
_DATETIME_TEXT = re.compile(
    r"^\s*(\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?)?)\s*$")


def datetime_text(values: pd.Series, random_state: int | None = 0) -> str | None:
    """An example value when every (sampled) text value reads as a date or time, else None.

    Past 1,000 distinct values a sample drawn with ``random_state`` is read.
    """
    if not len(values) or not all(isinstance(v, str) for v in values.iloc[:50]):
        return None
    unique = pd.Series(values.unique())
    sample = (unique.sample(1000, random_state=random_state) if len(unique) > 1000
              else unique)
    if not sample.astype(str).str.match(_DATETIME_TEXT).all():
        return None
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return str(sample.iloc[0]) if parsed.notna().mean() >= 0.9 else None


def identifier(series: pd.Series, kind: str, n_unique: int) -> str | None:
    """Why ``series`` looks like a row identifier rather than a feature, or None.

    Text: nearly all values distinct. Integers: an integer dtype, all distinct and
    in order (row numbers, sorted keys; not floats that happen to be whole, like a
    grid ``np.arange(30.0)``), or named like an identifier and nearly all distinct.
    """
    values = series.dropna()
    n = len(values)
    if n < _ID_MIN_VALUES or n_unique < _ID_DISTINCT_SHARE * n:
        return None
    name = str(series.name)
    if kind == "categorical":
        return f"text, {n_unique} distinct values in {n} rows"
    if kind != "integer":
        return None
    in_order = values.is_monotonic_increasing or values.is_monotonic_decreasing
    if n_unique == n and in_order and pd.api.types.is_integer_dtype(series):
        return f"integers {values.iloc[0]:g}..{values.iloc[-1]:g}, all distinct and in order"
    if _ID_NAMES.search(name) or _CAMEL_ID.search(name):
        return f"integers named like an identifier, {n_unique} distinct values in {n} rows"
    return None


def carried_notes(schema) -> list[str]:
    """One line per kind of carried column, for the run's warnings (empty when none)."""
    by_kind: dict[str, list[str]] = {}
    for name, info in schema.carried.items():
        by_kind.setdefault(info["kind"], []).append(f"'{name}' ({info['detail']})")
    notes = []
    if "identifier" in by_kind:
        found = [n for n, i in schema.carried.items() if i["kind"] == "identifier"
                 and not i["detail"].startswith("named in")]
        notes.append(
            "identifier columns left out of generation and checks, carried through for real rows "
            f"(synthetic rows: missing): {', '.join(by_kind['identifier'])}."
            + (f" To use one as a feature: keep_columns=[{found[0]}]." if found else ""))
    if "datetime" in by_kind:
        notes.append(
            "date/time columns left out of generation and checks, carried through for real rows "
            f"(synthetic rows: missing): {', '.join(by_kind['datetime'])}. To use one as a "
            "feature, convert it to numbers first (e.g. days since a date, or month and hour).")
    if "constant" in by_kind:
        notes.append("constant columns carried through unchanged (synthetic rows get the same "
                     f"value): {', '.join(by_kind['constant'])}.")
    return notes
