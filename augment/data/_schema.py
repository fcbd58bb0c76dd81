"""Column kinds of a labelled table, and the checks that refuse bad input early."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from augment.data._carried import datetime_text, identifier
from augment.errors import InvalidDataError, format_problems

__all__ = ["KINDS", "Column", "Schema", "detect_schema"]

KINDS = ("numeric", "integer", "categorical", "boolean")
_BOOL_STRINGS = {"true", "false"}
#: Largest magnitude a float column may hold: beyond it, standardising overflows float64.
MAX_ABS_FLOAT = 1e150
#: A whole-number target with more distinct values than this, and fewer rows per value than
#: ``_QUANTITY_ROWS_PER_VALUE`` on average, is a quantity to predict (regression), not classes.
_QUANTITY_MIN_VALUES = 20
_QUANTITY_ROWS_PER_VALUE = 5


def _label_kinds(labels: pd.Series) -> list[str]:
    """Kinds of Python values in an object label column: text, number, boolean, other."""
    if not ptypes.is_object_dtype(labels):
        return []

    def kind(v) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "boolean"
        if isinstance(v, (int, float, np.number)):
            return "number"
        return "text" if isinstance(v, str) else type(v).__name__

    return sorted({kind(v) for v in labels.dropna().to_numpy()})


@dataclass(frozen=True)
class Column:
    """One feature column: its kind, observed range or categories, and missingness."""

    name: str
    kind: str
    dtype: str
    n_missing: int
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple = ()

    @property
    def is_numeric(self) -> bool:
        return self.kind in ("numeric", "integer")

    def to_dict(self) -> dict:
        out = {"kind": self.kind, "dtype": self.dtype, "n_missing": self.n_missing}
        if self.is_numeric:
            out.update(minimum=self.minimum, maximum=self.maximum)
        else:
            out["n_categories"] = len(self.categories)
        return out


@dataclass
class Schema:
    """Feature columns of a table, its target column and its classes."""

    target: str
    columns: dict[str, Column]
    classes: tuple
    class_counts: dict = field(default_factory=dict)
    #: Columns left out of generation and checks and carried through for real rows:
    #: name -> ``{"kind": "identifier" | "datetime" | "constant", "detail": str}``, and
    #: ``"value"`` for a constant (synthetic rows get it; the others get missing values).
    carried: dict[str, dict] = field(default_factory=dict)

    @property
    def features(self) -> list[str]:
        return list(self.columns)

    def names(self, *kinds: str) -> list[str]:
        return [c.name for c in self.columns.values() if c.kind in kinds]

    @property
    def numeric(self) -> list[str]:
        return self.names("numeric", "integer")

    @property
    def categorical(self) -> list[str]:
        return self.names("categorical", "boolean")

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "classes": {str(k): int(v) for k, v in self.class_counts.items()},
            "columns": {name: col.to_dict() for name, col in self.columns.items()},
            "carried": {name: {k: v for k, v in info.items() if k != "value"}
                        for name, info in self.carried.items()},
        }


def _kind_of(series: pd.Series) -> tuple[str | None, str | None]:
    """Return ``(kind, problem)`` for one column; exactly one is None."""
    name = series.name
    values = series.dropna()
    if ptypes.is_bool_dtype(series):
        return "boolean", None
    if ptypes.is_datetime64_any_dtype(series) or isinstance(series.dtype, pd.PeriodDtype):
        return None, (
            f"column '{name}' holds datetimes ({series.dtype}); datetime columns are not supported "
            "yet. Fix: convert it to a number (e.g. days since a reference date) or drop it."
        )
    if ptypes.is_timedelta64_dtype(series) or ptypes.is_complex_dtype(series):
        return None, (
            f"column '{name}' has dtype {series.dtype}, which is not numeric, integer, categorical "
            "or boolean. Fix: convert it to one of those kinds or drop it."
        )
    if ptypes.is_integer_dtype(series):
        return "integer", None
    if ptypes.is_float_dtype(series):
        finite = values.to_numpy(dtype=float)
        if not np.isfinite(finite).all():
            return None, (
                f"column '{name}' contains infinite values. Fix: replace them with a finite value "
                "or NaN."
            )
        if len(finite) and np.abs(finite).max() > MAX_ABS_FLOAT:
            return None, (
                f"column '{name}' holds values up to {np.abs(finite).max():.3g} in magnitude; "
                f"augment needs |x| <= {MAX_ABS_FLOAT:g} to standardise it. Fix: rescale it "
                "(e.g. divide by a power of ten or take a log)."
            )
        if len(finite) and np.all(finite == np.round(finite)):
            return "integer", None
        return "numeric", None
    if isinstance(series.dtype, pd.CategoricalDtype) or ptypes.is_object_dtype(series) or (
        ptypes.is_string_dtype(series)
    ):
        inferred = ptypes.infer_dtype(values, skipna=True)
        if inferred == "bytes" or (inferred == "mixed" and values.map(
                lambda v: isinstance(v, (bytes, bytearray))).any()):
            return None, (
                f"column '{name}' holds raw bytes (e.g. {values.iloc[0]!r}); augment needs text. "
                f"Fix: decode it, e.g. frame['{name}'] = frame['{name}'].str.decode('utf-8')."
            )
        as_text = {str(v).strip().lower() for v in values.unique()}
        if as_text and as_text <= _BOOL_STRINGS and all(isinstance(v, bool) for v in values):
            return "boolean", None
        return "categorical", None
    return None, (
        f"column '{name}' has dtype {series.dtype}, which augment cannot classify. "
        "Fix: convert it to numbers or strings."
    )


def _looks_like_quantity(labels: pd.Series, n_classes: int) -> bool:
    """Whole-number labels with many values and few rows each (a birth weight, a count)."""
    if n_classes <= _QUANTITY_MIN_VALUES or ptypes.is_bool_dtype(labels):
        return False
    if not (ptypes.is_integer_dtype(labels) or ptypes.is_float_dtype(labels)):
        return False
    return len(labels) / n_classes < _QUANTITY_ROWS_PER_VALUE


def _header_fix(frame: pd.DataFrame, target: str) -> str:
    """The fix for a missing target: a separator when one column swallowed the header."""
    names = [str(c) for c in frame.columns]
    names_seps = {"semicolon": ";", "tab": "\t", "pipe": "|", "comma": ","}
    if len(names) <= 2:
        for label, sep in names_seps.items():
            if any(sep in n and target in n.split(sep) for n in names):
                return (f"The whole header was read as one column: the file is {label}-"
                        f"separated. Fix: set data.sep={label} (Python: read_table(path, "
                        f"sep={sep!r})).")
    return "Fix: set data.target to the label column."


def _describe_column(series: pd.Series, kind: str) -> Column:
    values = series.dropna()
    common = dict(name=str(series.name), kind=kind, dtype=str(series.dtype),
                  n_missing=int(series.isna().sum()))
    if kind in ("numeric", "integer"):
        return Column(**common, minimum=float(values.min()), maximum=float(values.max()))
    return Column(**common, categories=tuple(sorted(values.unique(), key=str)))


def detect_schema(frame: pd.DataFrame, target: str, keep: tuple | list = (),
                  carry: tuple | list | dict = (), random_state: int | None = 0) -> Schema:
    """Detect column kinds and check that ``frame`` can be augmented.

    Every problem found is listed in one :class:`InvalidDataError`. Columns that
    cannot be features are not refused but carried (``Schema.carried``): likely
    row identifiers (nearly all-distinct text; integers that are all distinct and
    in order, or named like an id and nearly all distinct), date/time columns
    (datetime dtypes and date/time text) and constant columns. ``keep`` names
    columns to use as features even when they look like identifiers or dates;
    ``carry`` names columns to carry as identifiers whatever they look like (a
    dict maps each to the reason shown). ``random_state`` draws the sample of
    values read to tell date/time text (columns with over 1,000 distinct values).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"x": [1.5, 2.0, 3.1, 0.2], "c": list("abab"), "y": [0, 1, 0, 1]})
    >>> detect_schema(df, "y").columns["c"].kind
    'categorical'
    >>> detect_schema(df.assign(k=7), "y").carried["k"]["kind"]
    'constant'
    """
    _check_frame(frame, target)
    problems, counts = _target_problems(frame[target], target)
    feature_names = [c for c in frame.columns if c != target]
    problems += _option_problems(feature_names, keep, carry)
    columns: dict[str, Column] = {}
    carried: dict[str, dict] = {}
    for name in feature_names:
        column, carry_info, problem = _classify(name, frame[name], keep, carry, random_state)
        if problem:
            problems.append(problem)
        elif carry_info is not None:
            carried[str(name)] = carry_info
        else:
            columns[str(name)] = column
    if feature_names and not columns and not problems:
        kinds = ", ".join(f"{name}: {info['kind']}" for name, info in carried.items())
        problems.append(
            f"expected at least one feature column to generate; got only columns carried "
            f"through ({kinds}). "
            "Fix: add feature columns, or name the ones to use with keep_columns.")
    if problems:
        raise InvalidDataError(format_problems("The input table cannot be augmented", problems))
    return Schema(
        target=target,
        columns=columns,
        classes=tuple(sorted(counts.index, key=str)),
        class_counts={k: int(v) for k, v in counts.items()},
        carried=carried,
    )


def _check_frame(frame, target: str) -> None:
    """Problems that stop everything at once: not a frame, odd column names, no rows, no
    target column."""
    if not isinstance(frame, pd.DataFrame):
        raise InvalidDataError(
            f"Expected a pandas DataFrame. Got {type(frame).__name__}. "
            "Fix: pass pandas.DataFrame(X) or a CSV/Parquet path."
        )
    if frame.columns.duplicated().any():
        dupes = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        raise InvalidDataError(
            f"Expected unique column names. Got duplicates: {dupes}. Fix: rename or drop them."
        )
    if isinstance(frame.columns, pd.MultiIndex):
        raise InvalidDataError(
            f"Expected one level of column names. Got a MultiIndex with {frame.columns.nlevels} "
            "levels. Fix: flatten it, e.g. frame.columns = ['_'.join(map(str, c)) for c in "
            "frame.columns]."
        )
    if len(frame) == 0:
        raise InvalidDataError(
            "Expected at least one row. Got an empty table. Fix: check the input."
        )
    if target not in frame.columns:
        shown = [str(c) for c in frame.columns[:20]]
        raise InvalidDataError(
            f"Expected target column '{target}'. Got columns {shown}"
            f"{' ...' if len(frame.columns) > 20 else ''}. " + _header_fix(frame, target))
    odd_names = [c for c in frame.columns if c != target and not isinstance(c, str)]
    if odd_names:
        raise InvalidDataError(
            f"Expected feature column names that are strings. Got {len(odd_names)} that are not: "
            f"{[repr(c) for c in odd_names[:10]]}. Fix: name them, e.g. "
            "frame.columns = frame.columns.astype(str) (and the target accordingly)."
        )


def _target_problems(labels: pd.Series, target: str) -> tuple[list[str], pd.Series]:
    """What is wrong with the label column (mixed kinds, missing labels, a quantity or a
    continuous value instead of classes, one class), and the class counts."""
    problems: list[str] = []
    try:
        labels.nunique()
    except TypeError:
        raise InvalidDataError(
            f"Expected class labels (strings, integers or booleans) in target '{target}'. Got "
            "values that are not scalars (e.g. lists or dicts). Fix: turn each label into one "
            "string or integer."
        ) from None
    kinds = _label_kinds(labels)
    if len(kinds) > 1:
        problems.append(
            f"target '{target}' mixes kinds of labels ({', '.join(kinds)}), e.g. 1 and '1' would "
            f"be different classes. Fix: convert it to one kind, e.g. frame['{target}'] = "
            f"frame['{target}'].astype(str)."
        )
    if labels.isna().any():
        problems.append(
            f"target '{target}' has {int(labels.isna().sum())} missing labels. "
            "Fix: drop those rows or fill them."
        )
    continuous = False
    if ptypes.is_float_dtype(labels):
        finite = labels.dropna().to_numpy(dtype=float)
        continuous = not np.all(finite == np.round(finite))
        if continuous:
            problems.append(
                f"target '{target}' is a continuous float column ({labels.nunique()} distinct "
                "values); augment needs class labels. Fix: bin it into classes first."
            )
    counts = labels.value_counts(dropna=True)
    if not continuous and _looks_like_quantity(labels, len(counts)):  # one line, not per class
        problems.append(
            f"target '{target}' looks like a quantity to predict, not class labels: "
            f"{len(counts)} distinct whole numbers in {len(labels)} rows "
            f"({len(labels) / len(counts):.1f} rows per value). Fix: bin it into classes first "
            f"(e.g. frame['{target}_class'] = pd.qcut(frame['{target}'], 3)), or choose the label "
            "column with data.target.")
    elif len(counts) < 2:
        problems.append(
            f"target '{target}' must hold at least 2 classes; got {len(counts)} "
            f"({list(map(str, counts.index))}). Fix: check the target column."
        )
    return problems, counts


def _option_problems(feature_names: list, keep, carry) -> list[str]:
    problems = []
    if not feature_names:
        problems.append("expected at least one feature column besides the target; got none.")
    for option, names in (("keep_columns", keep), ("carry_columns", carry)):
        unknown = [str(k) for k in names if k not in feature_names]
        if unknown:
            problems.append(f"{option} names {unknown}, which are not feature columns of the "
                            f"table. Fix: use names from {[str(c) for c in feature_names[:20]]}.")
    both = sorted(set(keep) & set(carry))
    if both:
        problems.append(f"{both} are in both keep_columns and carry_columns. Fix: name each "
                        "column in one of them.")
    return problems


def _classify(name, series: pd.Series, keep, carry, random_state=0):
    """One feature column: (its Column, or how it is carried, or a problem); one is set."""
    if name in carry:
        why = carry[name] if isinstance(carry, dict) else "named in carry_columns"
        return None, {"kind": "identifier", "detail": why}, None
    if series.isna().all():
        return None, None, f"column '{name}' is entirely missing. Fix: drop it."
    is_datetime = (ptypes.is_datetime64_any_dtype(series)
                   or isinstance(series.dtype, pd.PeriodDtype))
    if is_datetime and name not in keep:
        return None, {"kind": "datetime", "detail": str(series.dtype)}, None
    try:
        kind, problem = _kind_of(series)
        n_unique = series.nunique(dropna=True)
    except TypeError:  # unhashable cells: lists, dicts, sets, arrays
        return None, None, (
            f"column '{name}' holds values that are not scalars (e.g. lists or dicts); "
            "each cell must be one number, string or boolean. Fix: expand it into several "
            "columns, convert it to a string, or drop it.")
    if problem:
        return None, None, problem
    if n_unique == 1 and not series.isna().any():
        value = series.iloc[0]
        shown = value.item() if isinstance(value, np.generic) else value
        return None, {"kind": "constant", "detail": repr(shown), "value": value}, None
    if name not in keep and kind == "categorical":
        example = datetime_text(series.dropna(), random_state)
        if example is not None:
            return None, {"kind": "datetime", "detail": f"text like '{example}'"}, None
    why = None if name in keep else identifier(series, kind, n_unique)
    if why is not None:
        return None, {"kind": "identifier", "detail": why}, None
    return _describe_column(series, kind), None, None
