"""A finished run directory, read for monitoring: its manifest and its synthetic rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from augment.errors import InvalidDataError
from augment.report._audit import read_manifest

__all__ = ["RunData", "load_run"]


@dataclass
class RunData:
    """What the monitor needs from one run: ``manifest`` and the kept ``synthetic`` rows."""

    path: Path
    manifest: dict
    synthetic: pd.DataFrame

    @property
    def name(self) -> str:
        return self.path.name or str(self.path)

    @property
    def target(self) -> str:
        return self.manifest["schema"]["target"]

    @property
    def features(self) -> list[str]:
        return list(self.manifest["schema"]["columns"])


def load_run(path: str | Path) -> RunData:
    """Read a complete run directory; :class:`InvalidDataError` says what is missing."""
    path = Path(path)
    manifest = read_manifest(path)
    missing = [k for k in ("schema", "counts", "regions") if k not in manifest]
    if missing:
        raise InvalidDataError(f"Expected a manifest with {missing} in '{path}'. Got keys "
                               f"{sorted(manifest)}. Fix: rerun with this augment version.")
    table_path = path / "augmented.parquet"
    if not table_path.is_file():
        raise InvalidDataError(f"Expected '{table_path}'. Got: no such file. Fix: rerun the run.")
    try:
        table = pd.read_parquet(table_path)
    except Exception as exc:  # pyarrow raises many types; all mean "unreadable"
        raise InvalidDataError(f"Expected a readable Parquet file at '{table_path}'. Got "
                               f"{type(exc).__name__}: {exc}. Fix: rerun the run.") from exc
    if "_synthetic" not in table:
        raise InvalidDataError(f"Expected a '_synthetic' column in '{table_path}'. Got columns "
                               f"{list(table.columns)[:10]}. Fix: pass an augment run directory.")
    return RunData(path=path, manifest=manifest,
                   synthetic=table[table["_synthetic"].astype(bool)].reset_index(drop=True))
