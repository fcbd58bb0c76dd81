"""Bad input: every case either works or stops with a clear AugmentError (expected / got / fix)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from augment import Augmenter
from augment.data import read_table
from augment.errors import AugmentError


def base(n: int = 48, minority: int = 16, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.array(["a"] * (n - minority) + ["b"] * minority)
    return pd.DataFrame({"x": rng.normal(size=n) + (y == "b"), "n": rng.integers(0, 10, n),
                         "c": rng.choice(["p", "q", "r"], n), "y": y})


def with_column(name, values):
    def make():
        df = base()
        df[name] = values(len(df)) if callable(values) else values
        return df
    return make


def replace(column, values):
    def make():
        df = base()
        df[column] = values(df)
        return df
    return make


def _renamed(columns):
    def make():
        df = base()
        df.columns = columns
        return df
    return make


def _fit(df, target="y", generator="smote", **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"profile": None, "batch_gates": ("marginal",), **kw}
        return Augmenter(generator=generator, random_state=0, progress=False,
                         **kw).fit_table(df, target)


def _check_clear(exc: AugmentError, match: str) -> None:
    text = str(exc)
    assert "Fix" in text or "fix" in text, text
    assert ("Expected" in text or "expected" in text or "must" in text or "needs" in text
            or "cannot" in text), text
    assert match.lower() in text.lower(), text


WORKS = {
    "mixed types in a column": with_column("m", lambda n: [1, "a", 2.5] * (n // 3)),
    "mixed int and numeric strings": with_column("m", lambda n: [3, "4", 5] * (n // 3)),
    "unicode and whitespace categories": replace("c", lambda d: d["c"].map(
        {"p": " p ", "q": "Zürich ☃", "r": "r\t"})),
    "high-cardinality id": with_column("id", lambda n: [f"id{i}" for i in range(n)]),
    "booleans stored as strings": with_column("bs", lambda n: np.where(np.arange(n) % 2, "true",
                                                                        "False")),
    "float target holding whole numbers": replace("y", lambda d: (d["y"] == "b").astype(float)),
    "boolean target": replace("y", lambda d: d["y"] == "b"),
    "pandas string dtype": with_column("s", lambda n: pd.array(["u", "v"] * (n // 2),
                                                               dtype="string")),
    "categorical dtype with unused categories": with_column(
        "cat", lambda n: pd.Categorical(["p", "q"] * (n // 2), categories=["p", "q", "zz"])),
    "dates stored as strings": with_column("d", lambda n: pd.date_range(
        "2020", periods=n).astype(str)),
    "python booleans mixed with other values": with_column("mb", lambda n: [True, "yes", 0] *
                                                           (n // 3)),
    "non-default index": lambda: base().set_axis(np.arange(48)[::-1] * 3, axis=0),
    # carried through (left out of generation), see tests/test_newuser.py
    "constant column": with_column("k", 7),
    "datetime column": with_column("t", lambda n: pd.date_range("2020", periods=n)),
    "timezone datetime column": with_column("t", lambda n: pd.date_range("2020", periods=n,
                                                                         tz="UTC")),
}


@pytest.mark.parametrize("name", list(WORKS))
def test_works(name):
    df = WORKS[name]()
    snapshot = df.copy()
    aug = _fit(df)
    out = aug.result_.augmented
    real = out[~out["_synthetic"]][list(df.columns)].reset_index(drop=True)
    pd.testing.assert_frame_equal(real, df.reset_index(drop=True))
    pd.testing.assert_frame_equal(df, snapshot)          # the input is never modified
    assert aug.result_.counts()["kept"] > 0


def test_works_with_gaussian_copula_on_unicode_categories():
    aug = _fit(WORKS["unicode and whitespace categories"](), generator="gaussian_copula")
    kept = aug.result_.synthetic
    assert set(kept["c"]) <= {" p ", "Zürich ☃", "r\t"}


@pytest.mark.slow
def test_works_with_1000_columns():
    rng = np.random.default_rng(0)
    wide = pd.DataFrame(rng.normal(size=(40, 1000)), columns=[f"f{i}" for i in range(1000)])
    wide["y"] = np.where(wide["f0"] > 0.5, "b", "a")  # learnable: the labeler can vouch
    # row gates without "constraints": its pairwise constraint discovery is quadratic in the
    # columns (~1M column pairs, ~55 s here); reported to the lead, not a robustness problem
    aug = _fit(wide, batch_gates=(), row_gates=("validity", "novelty"))
    assert aug.result_.augmented.shape[1] >= 1001


CLEAR = {
    "NaN-only column": (with_column("z", np.nan), "entirely missing"),
    "duplicate column names": (lambda: base().assign(x2=1.0).set_axis(["x", "n", "c", "y", "x"],
                                                                        axis=1), "duplicates"),
    "a class with one row": (lambda: base().assign(y=["z"] + ["a"] * 31 + ["b"] * 16),
                             "needs at least"),
    "a 1-row table": (lambda: base().iloc[:1], "at least 2 classes"),
    "empty table": (lambda: base().iloc[:0], "at least one row"),
    "infinities": (replace("x", lambda d: d["x"].where(d.index != 3, np.inf)), "infinite"),
    "timedelta column": (with_column("t", lambda n: pd.to_timedelta(np.arange(n), unit="D")),
                         "timedelta"),
    "complex column": (with_column("t", lambda n: np.arange(n) * 1j), "complex"),
    "continuous float target": (replace("y", lambda d: np.linspace(0, 1, len(d))),
                                "continuous"),
    "missing labels": (replace("y", lambda d: d["y"].where(d.index > 1, None)),
                       "missing labels"),
    "labels of mixed kinds": (replace("y", lambda d: [1, "1"] * (len(d) // 2)), "mixes kinds"),
    "missing target column": (lambda: base().drop(columns="y"), "target column"),
    "integer column names": (_renamed([0, 1, 2, "y"]), "strings"),
    "MultiIndex columns": (_renamed(pd.MultiIndex.from_tuples(
        [("a", "x"), ("a", "n"), ("b", "c"), ("y", "")])), "MultiIndex"),
    "lists in a column": (with_column("l", lambda n: [[1, 2]] * n), "not scalars"),
    "dicts in a column": (with_column("o", lambda n: [{"a": 1}] * n), "not scalars"),
    "bytes values": (with_column("b", lambda n: [b"a", b"b"] * (n // 2)), "decode"),
    "huge floats": (with_column("big", lambda n: np.linspace(-1e300, 1e300, n)), "rescale"),
    "SMOTE on missing values": (replace("x", lambda d: d["x"].where(d.index > 5)),
                                "missing values"),
    "not a DataFrame": (lambda: base().to_numpy(), "DataFrame"),
}


@pytest.mark.parametrize("name", list(CLEAR))
def test_clear_error(name):
    make, match = CLEAR[name]
    target = ("y", "") if name == "MultiIndex columns" else "y"
    with pytest.raises(AugmentError) as info:
        _fit(make(), target)
    _check_clear(info.value, match)


def _files(folder):
    df = pd.DataFrame({"x": np.arange(10.5, 30.5), "y": [0, 1] * 10})
    df.to_parquet(folder / "ok.parquet")
    data = (folder / "ok.parquet").read_bytes()
    (folder / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (folder / "empty.csv").write_text("")
    (folder / "dup.csv").write_text("x,x,y\n1,2,0\n3,4,1\n")
    (folder / "latin.csv").write_bytes("x,y\ncaf\xe9,1\n".encode("latin-1"))
    (folder / "fake.csv.gz").write_text("x,y\n1,2\n")
    (folder / "table.txt").write_text("x,y\n")
    (folder / "ragged.csv").write_text("x,y\n1,2\n3,4,5,6\n")
    (folder / "junk.parquet").write_bytes(b"not parquet at all")
    (folder / "sub").mkdir()


@pytest.mark.parametrize("name, match", [
    ("missing.csv", "no such file"),
    ("sub", "a directory"),
    ("truncated.parquet", "readable parquet"),
    ("junk.parquet", "readable parquet"),
    ("empty.csv", "readable csv"),
    ("dup.csv", "unique column names"),
    ("latin.csv", "UTF-8"),
    ("fake.csv.gz", "readable csv"),
    ("table.txt", ".csv"),
    ("ragged.csv", "readable csv"),
])
def test_read_table_bad_files(tmp_path, name, match):
    _files(tmp_path)
    with pytest.raises(AugmentError) as info:
        read_table(tmp_path / name)
    _check_clear(info.value, match)


def test_header_only_csv_is_an_empty_table(tmp_path):
    (tmp_path / "h.csv").write_text("x,y\n")
    with pytest.raises(AugmentError, match="at least one row"):
        _fit(read_table(tmp_path / "h.csv"))


def test_parquet_round_trip_works(tmp_path):
    _files(tmp_path)
    assert read_table(tmp_path / "ok.parquet").shape == (20, 2)
