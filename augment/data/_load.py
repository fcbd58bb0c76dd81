"""Reading tables: CSV, Parquet, a DataFrame, or the embedded default dataset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from augment.errors import InvalidDataError

__all__ = ["DEFAULT_DATASET", "SEPARATORS", "TableSource", "fingerprint", "load_default",
           "read_table", "sniff_separator"]

DEFAULT_DATASET = "lending_club"
_DEFAULT_TARGET = "Class"
_READERS = {".csv": "csv", ".tsv": "csv", ".gz": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: Separators a delimited file may use; the header decides (see :func:`sniff_separator`).
#: ``data.sep`` takes the character or its name (``data.sep=semicolon`` needs no shell quotes).
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_SEP_NAMES = {**{name: sep for sep, name in SEPARATORS.items()}, "\\t": "\t"}
_DECIMAL_COMMA = r"^\s*[-+]?\d+,\d+\s*$"


def _dataset_file(name: str):
    return resources.files("augment.data") / "datasets" / f"{name}.csv.gz"


def load_default() -> tuple[pd.DataFrame, str]:
    """Return the embedded ``lending_club`` table and its target column name.

    Examples
    --------
    >>> df, target = load_default()
    >>> df.shape, target
    ((9857, 23), 'Class')
    """
    with resources.as_file(_dataset_file(DEFAULT_DATASET)) as path:
        return pd.read_csv(path), _DEFAULT_TARGET


def _open_text(path: Path):
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    return opener(path, "rt", encoding="utf-8", newline="")


def sniff_separator(path: str | Path) -> str:
    """The separator of a delimited text file: the one that splits its header into most fields.

    ``.tsv`` (and ``.tsv.gz``) files are tab-separated; otherwise comma, semicolon,
    tab and pipe are tried on the first line (quotes respected), comma on a tie.
    """
    import csv

    path = Path(path)
    if path.name.lower().endswith((".tsv", ".tsv.gz")):
        return "\t"
    try:
        with _open_text(path) as handle:
            header = handle.readline()
    except (OSError, UnicodeDecodeError, EOFError):
        return ","
    fields = {sep: len(next(csv.reader([header], delimiter=sep), [])) for sep in SEPARATORS}
    best = max(fields, key=lambda sep: (fields[sep], sep == ","))
    return best if fields[best] > 1 else ","


def read_table(path: str | Path, sep: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV (optionally gzip-compressed) or Parquet file into a DataFrame.

    ``sep`` is the field separator of a text file (a character, or ``comma``,
    ``semicolon``, ``tab``, ``pipe``); ``None`` sniffs it from the header
    (:func:`sniff_separator`). A semicolon-separated file whose numbers use
    decimal commas (``1,5``) is read with ``decimal=","``.
    Raises :class:`InvalidDataError` with the fix when the path is missing,
    is a directory, has an unknown suffix, or cannot be parsed.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise InvalidDataError(
            f"Expected a CSV or Parquet file at '{path}'. Got: no such file. "
            "Fix: check data.path (relative paths are relative to the directory you ran from)."
        )
    if path.is_dir():
        raise InvalidDataError(
            f"Expected a CSV or Parquet file at '{path}'. Got: a directory. "
            "Fix: point data.path at the file itself."
        )
    kind = _READERS.get(path.suffix.lower())
    if kind is None:
        raise InvalidDataError(
            f"Expected a file ending in .csv, .tsv (optionally .gz) or .parquet. Got "
            f"'{path.name}'. Fix: rename it if it is delimited text (the separator is sniffed, "
            "or set data.sep), or convert the table to CSV or Parquet."
        )
    sep = _SEP_NAMES.get(sep, sep) if isinstance(sep, str) else sep
    if sep is not None and (not isinstance(sep, str) or len(sep) != 1):
        raise InvalidDataError(
            f"Expected data.sep to be one character or one of {sorted(_SEP_NAMES)}. Got "
            f"{sep!r}. Fix: e.g. data.sep=semicolon, or leave it null to sniff the separator.")
    if kind == "csv" and sep is None:
        sep = sniff_separator(path)
    try:
        frame = pd.read_parquet(path) if kind == "parquet" else _read_delimited(path, sep)
    except UnicodeDecodeError as exc:
        raise InvalidDataError(
            f"Expected a UTF-8 encoded {kind} file at '{path}'. Got bytes that are not UTF-8 "
            f"({exc.reason} at byte {exc.start}). Fix: save the file as UTF-8 (or Parquet)."
        ) from exc
    except Exception as exc:  # pandas/pyarrow raise many types; all mean "unreadable"
        raise InvalidDataError(
            f"Expected a readable {kind} file at '{path}'. Got an error while reading it: "
            f"{type(exc).__name__}: {exc}. Fix: check that the file is complete and really {kind}."
        ) from exc
    if kind == "csv":
        _check_csv_header(path, frame, sep)
    return frame


def _read_delimited(path: Path, sep: str) -> pd.DataFrame:
    frame = pd.read_csv(path, sep=sep)
    if sep == ";":
        text = frame.select_dtypes(include="object")
        if any(col.dropna().astype(str).str.match(_DECIMAL_COMMA).all() and col.notna().any()
               for _, col in text.items()):
            frame = pd.read_csv(path, sep=sep, decimal=",")
    return frame


def _check_csv_header(path: Path, frame: pd.DataFrame, sep: str = ",") -> None:
    """pandas renames a repeated CSV header ``x`` to ``x.1``; refuse instead of guessing."""
    import csv

    try:
        with _open_text(path) as handle:
            header = next(csv.reader(handle, delimiter=sep), [])
    except (OSError, UnicodeDecodeError, EOFError, csv.Error):
        return
    seen, dupes = set(), []
    for name in header:
        if name in seen and name not in dupes:
            dupes.append(name)
        seen.add(name)
    if dupes:
        raise InvalidDataError(
            f"Expected unique column names in '{path}'. Got repeated names {dupes} in the header "
            "row. Fix: rename or drop the repeated columns."
        )


def fingerprint(path: str | Path | None, frame: pd.DataFrame) -> str:
    """SHA-256 of the input: of the file's bytes when there is a file, else of the frame."""
    digest = hashlib.sha256()
    if path is not None:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    else:
        digest.update(",".join(map(str, frame.columns)).encode())
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


@dataclass
class TableSource:
    """Where the real table comes from: a file, or the embedded default dataset.

    Parameters
    ----------
    path : str or None
        CSV/TSV or Parquet file. ``None`` loads the embedded ``lending_club`` table.
    target : str or None
        Name of the label column. ``None`` means the default dataset's ``Class``.
    sep : str or None
        Field separator of a text file; ``None`` sniffs it from the header.
    """

    path: str | None = None
    target: str | None = None
    sep: str | None = None

    def load(self) -> tuple[pd.DataFrame, str]:
        """Return ``(frame, target)``."""
        if self.path is None:
            frame, default_target = load_default()
            return frame, self.target or default_target
        if not self.target:
            raise InvalidDataError(
                f"Expected a target column name for '{self.path}'. Got none. "
                "Fix: add data.target=<label column>."
            )
        return read_table(self.path, self.sep), self.target

    def fingerprint(self, frame: pd.DataFrame) -> str:
        """SHA-256 of the file read (or of the embedded file)."""
        if self.path is None:
            with resources.as_file(_dataset_file(DEFAULT_DATASET)) as path:
                return fingerprint(path, frame)
        return fingerprint(self.path, frame)
