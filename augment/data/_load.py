"""Reading tables: CSV, Parquet, a DataFrame, or the embedded default dataset."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd

from augment.errors import InvalidDataError

__all__ = ["DEFAULT_DATASET", "TableSource", "fingerprint", "load_default", "read_table"]

DEFAULT_DATASET = "lending_club"
_DEFAULT_TARGET = "Class"
_READERS = {".csv": "csv", ".gz": "csv", ".parquet": "parquet", ".pq": "parquet"}


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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV (optionally gzip-compressed) or Parquet file into a DataFrame.

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
            f"Expected a file ending in .csv, .csv.gz or .parquet. Got '{path.name}'. "
            "Fix: convert the table to CSV or Parquet."
        )
    try:
        frame = pd.read_parquet(path) if kind == "parquet" else pd.read_csv(path)
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
        _check_csv_header(path, frame)
    return frame


def _check_csv_header(path: Path, frame: pd.DataFrame) -> None:
    """pandas renames a repeated CSV header ``x`` to ``x.1``; refuse instead of guessing."""
    import csv
    import gzip

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError, csv.Error):
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
        CSV or Parquet file. ``None`` loads the embedded ``lending_club`` table.
    target : str or None
        Name of the label column. ``None`` means the default dataset's ``Class``.
    """

    path: str | None = None
    target: str | None = None

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
        return read_table(self.path), self.target

    def fingerprint(self, frame: pd.DataFrame) -> str:
        """SHA-256 of the file read (or of the embedded file)."""
        if self.path is None:
            with resources.as_file(_dataset_file(DEFAULT_DATASET)) as path:
                return fingerprint(path, frame)
        return fingerprint(self.path, frame)
