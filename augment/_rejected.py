"""Rejected rows: held in memory while few, spilled to Parquet parts when many.

A run on a large table can reject tens of millions of generated rows, each of which
keeps its values, scores and reason (``rejected.parquet``). :class:`RejectedRows`
holds them compactly (text columns as categories) and, past ``spill_rows`` rows,
writes them to Parquet parts in a temporary folder (under ``$TMPDIR``), removed
when the object goes away. ``write`` streams the parts into one file without
loading them together.
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["RejectedRows", "concat_frames"]

#: Provenance text columns stored as categories of text (their values repeat from row to row).
TEXT_COLUMNS = ("_region", "_generator", "_rule", "_reason", "_reason_code", "_reasons")
#: Class-valued columns stored as categories of the class values themselves.
CLASS_COLUMNS = ("_label", "_intended")
#: Columns ``rejected.parquet`` stores as text (missing as null).
WRITTEN_AS_TEXT = (*TEXT_COLUMNS, "_label")

#: Rows held in memory before they are written to a Parquet part.
SPILL_ROWS = 500_000


def _as_text_category(values: pd.Series) -> pd.Series:
    """Values as a category of their text (``None``/NaN stay missing), converting each
    distinct value once."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        if categories.dtype == object and all(isinstance(c, str) for c in categories):
            return values
    codes, uniques = pd.factorize(values.astype(object), use_na_sentinel=True)
    text = np.array([u if isinstance(u, str) else str(u) for u in uniques], dtype=object)
    categories, inverse = np.unique(text, return_inverse=True)  # 1 and "1" are one category
    codes = np.where(codes >= 0, inverse[np.maximum(codes, 0)] if len(text) else -1, -1)
    return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=values.index,
                     name=values.name)


def _as_category(values: pd.Series) -> pd.Series:
    """Class values as a category of themselves (as they are where that is impossible)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values
    try:
        return values.astype("category")
    except TypeError:  # unhashable values
        return values


def _compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Provenance text and class columns as categories; everything else as it is."""
    out = {c: _as_text_category(frame[c]) for c in TEXT_COLUMNS if c in frame}
    out.update({c: _as_category(frame[c]) for c in CLASS_COLUMNS if c in frame})
    return frame.assign(**out) if out else frame


def concat_frames(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """``pd.concat`` that keeps category columns categorical (categories unioned)."""
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame()
    if len(parts) == 1:
        return parts[0].reset_index(drop=True)
    columns = list(dict.fromkeys(c for p in parts for c in p.columns))
    casts = {}
    for name in columns:
        dtypes = [p[name].dtype for p in parts if name in p]
        if all(isinstance(d, pd.CategoricalDtype) for d in dtypes):
            union = pd.Index([])
            for d in dtypes:
                union = union.union(d.categories, sort=False)
            casts[name] = pd.CategoricalDtype(union)
    parts = [p.astype({k: v for k, v in casts.items() if k in p}) for p in parts]
    out = pd.concat(parts, ignore_index=True)
    # a column absent from some parts comes back as object / float: restore the category
    for name, dtype in casts.items():
        if not isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype(dtype)
    return out


def _decoded(table: pa.Table, as_text: tuple[str, ...] = ()) -> pa.Table:
    """Dictionary (category) columns as plain values, as ``rejected.parquet`` stores them;
    ``as_text`` columns as Python's text of their values (a dictionary's values converted
    once, not per row)."""
    columns = []
    for name, column in zip(table.column_names, table.columns):
        text = name in as_text
        if pa.types.is_dictionary(column.type):
            chunks = []
            for chunk in column.chunks:
                values = chunk.dictionary
                if text and not pa.types.is_string(values.type):
                    values = pa.array(_python_text(values.to_pylist()), type=pa.string())
                chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, values)
                              .dictionary_decode())
            column = pa.chunked_array(chunks, type=pa.string() if text else
                                      column.type.value_type)
        elif text:
            column = _cast(column, pa.string())
        columns.append(column)
    return pa.Table.from_arrays(columns, names=table.column_names)


def _unified_schema(schemas: list[pa.Schema]) -> pa.Schema:
    """One schema for every part: numeric types promoted, conflicting types as text."""
    try:
        return pa.unify_schemas(schemas, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        fields: dict[str, list[pa.DataType]] = {}
        for schema in schemas:
            for f in schema:
                fields.setdefault(f.name, []).append(f.type)
        out = []
        for name, types in fields.items():
            try:
                out.append(pa.unify_schemas([pa.schema([(name, t)]) for t in types],
                                            promote_options="permissive").field(name))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                out.append(pa.field(name, pa.string()))
        return pa.schema(out)


def _python_text(values) -> list:
    """Values as Python's ``str`` writes them; missing values as None."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
            for v in values]


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as an Arrow table; columns of mixed types as text."""
    try:
        return pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        mixed = {}
        for name in frame.columns:
            try:
                pa.Table.from_pandas(frame[[name]], preserve_index=False)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                mixed[name] = _python_text(frame[name].astype(object))
        return pa.Table.from_pandas(frame.assign(**mixed), preserve_index=False)


def _cast(column: pa.ChunkedArray, to: pa.DataType) -> pa.ChunkedArray:
    """``column`` as ``to``; to text the way Python writes values (``True``, not ``true``)."""
    if column.type == to:
        return column
    if pa.types.is_string(to) or pa.types.is_large_string(to):
        return pa.chunked_array([pa.array(_python_text(column.to_pylist()), type=to)])
    return column.cast(to)


class RejectedRows:
    """Every rejected (or surplus) row of a run, in memory or in Parquet parts.

    Parameters
    ----------
    spill_rows : int or None
        Rows held in memory before they are written out as one Parquet part
        (default :data:`SPILL_ROWS`).
    empty_columns : list of str
        The columns an empty result has (rows appended bring their own).

    Pickling (or copying) loads spilled rows back into memory: the temporary folder
    belongs to the object that made it.
    """

    def __init__(self, spill_rows: int | None = None, empty_columns: list[str] | None = None):
        self.spill_rows = int(SPILL_ROWS if spill_rows is None else spill_rows)
        self.empty_columns = list(empty_columns or [])
        self._held: list[pd.DataFrame] = []
        self._n_held = 0
        self._files: list[Path] = []
        self._folder: Path | None = None
        self._columns: dict[str, None] = {}
        self.n_rows = 0

    def __len__(self) -> int:
        return self.n_rows

    @property
    def spilled(self) -> bool:
        """Whether some rows live in Parquet parts on disk."""
        return bool(self._files)

    @property
    def columns(self) -> list[str]:
        return list(self._columns) if self._columns else list(self.empty_columns)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._files:
            state.update(_held=[self.frame()], _n_held=self.n_rows, _files=[], _folder=None)
        return state

    def append(self, frame: pd.DataFrame | None) -> None:
        if frame is None or not len(frame):
            return
        frame = _compact(frame.reset_index(drop=True))
        self._columns.update(dict.fromkeys(frame.columns))
        self._held.append(frame)
        self._n_held += len(frame)
        self.n_rows += len(frame)
        if self._n_held >= self.spill_rows:
            self._spill()

    def _spill(self) -> None:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="augment-rejected-"))
            weakref.finalize(self, shutil.rmtree, str(self._folder), True)
        path = self._folder / f"part-{len(self._files):05d}.parquet"
        frame = concat_frames(self._held)
        pq.write_table(_arrow(frame), path)
        self._files.append(path)
        self._held, self._n_held = [], 0

    def _parts(self, columns: list[str] | None = None):
        """Each part (on disk first, then in memory) as a frame, one at a time."""
        for path in self._files:
            present = pq.read_schema(path).names
            wanted = None if columns is None else [c for c in columns if c in present]
            yield pd.read_parquet(path, columns=wanted)
        for frame in self._held:
            yield frame if columns is None else frame[[c for c in columns if c in frame]]

    def frame(self, columns: list[str] | None = None) -> pd.DataFrame:
        """All rows (or only ``columns``) as one frame: loads every spilled part."""
        names = self.columns if columns is None else [c for c in columns if c in self.columns]
        out = concat_frames(list(self._parts(names)))
        if not len(out):
            return pd.DataFrame(columns=names)
        return out.reindex(columns=names)

    def sample(self, max_rows: int, random_state: int = 0) -> pd.DataFrame:
        """At most ``max_rows`` rows drawn uniformly (all rows when fewer); the same rows
        whether or not they were spilled."""
        if self.n_rows <= max_rows:
            return self.frame()
        rng = np.random.default_rng(random_state)
        positions = np.sort(rng.choice(self.n_rows, max_rows, replace=False))
        picked, offset = [], 0
        for part in self._parts(self.columns):
            lo, hi = np.searchsorted(positions, [offset, offset + len(part)])
            picked.append(part.iloc[positions[lo:hi] - offset])
            offset += len(part)
        return concat_frames(picked).reindex(columns=self.columns)

    def write(self, path: Path) -> None:
        """All rows to one Parquet file, part by part; text columns stored as plain text."""
        if not self.spilled:
            pq.write_table(_decoded(_arrow(self.frame()), WRITTEN_AS_TEXT), path)
            return
        if self._held:
            self._spill()
        tables = [_decoded(pq.read_schema(f).empty_table(), WRITTEN_AS_TEXT)
                  for f in self._files]
        schema = _unified_schema([t.schema for t in tables])
        schema = pa.schema([pa.field(name, pa.string()) if name in WRITTEN_AS_TEXT
                            else schema.field(name) for name in self.columns])
        with pq.ParquetWriter(path, schema) as writer:
            for path_ in self._files:
                table = _decoded(pq.read_table(path_), WRITTEN_AS_TEXT)
                for f in schema:
                    if f.name not in table.column_names:
                        table = table.append_column(f.name, pa.nulls(len(table), f.type))
                table = table.select(schema.names)
                columns = [_cast(c, f.type) for c, f in zip(table.columns, schema)]
                writer.write_table(pa.Table.from_arrays(columns, schema=schema))
