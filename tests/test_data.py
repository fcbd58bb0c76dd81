import numpy as np
import pandas as pd
import pytest

from augment.data import TableSource, detect_schema, load_default, read_table
from augment.errors import InvalidDataError


def test_detects_kinds(table):
    schema = detect_schema(table, "label")
    kinds = {name: col.kind for name, col in schema.columns.items()}
    assert kinds == {"amount": "numeric", "count": "integer", "grade": "categorical",
                     "flag": "boolean"}
    assert schema.classes == ("no", "yes")
    assert schema.class_counts == {"no": 60, "yes": 15}
    assert schema.columns["amount"].minimum == table["amount"].min()


def test_default_dataset_is_lending_club():
    df, target = load_default()
    assert df.shape == (9857, 23)
    assert target == "Class"
    assert df[target].value_counts().to_dict() == {"good": 9340, "bad": 517}


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.iloc[:0], "empty table"),
        (lambda d: d.drop(columns="label"), "Expected target column 'label'"),
        (lambda d: d.assign(label="no"), "at least 2 classes"),
        (lambda d: d.assign(empty=np.nan), "'empty' is entirely missing"),
        (lambda d: d.assign(label=np.linspace(0, 1, len(d))), "continuous float"),
        (lambda d: d.assign(amount=np.where(np.arange(len(d)) == 0, np.inf, d.amount)),
         "infinite"),
        (lambda d: d.assign(label=d.label.where(d.index > 0)), "missing labels"),
        (lambda d: d[["amount", "amount", "label"]], "unique column names"),
        (lambda d: d[["label"]], "at least one feature"),
    ],
)
def test_bad_tables_are_refused_clearly(table, mutate, match):
    with pytest.raises(InvalidDataError, match=match):
        detect_schema(mutate(table), "label")


def test_all_problems_are_listed_together(table):
    bad = table.assign(empty=np.nan, inf=np.inf)
    with pytest.raises(InvalidDataError) as info:
        detect_schema(bad, "label", keep=["nope"])
    assert all(f"'{name}'" in str(info.value) for name in ("empty", "inf", "nope"))


def test_detect_schema_does_not_modify_input(table):
    before = table.copy()
    detect_schema(table, "label")
    pd.testing.assert_frame_equal(table, before)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_read_table_round_trip(table, tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_parquet(path)
    back = read_table(path)
    assert list(back.columns) == list(table.columns)
    assert len(back) == len(table)


def test_read_table_errors(tmp_path):
    with pytest.raises(InvalidDataError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InvalidDataError, match="a directory"):
        read_table(tmp_path)
    (tmp_path / "t.xlsx").write_text("x")
    with pytest.raises(InvalidDataError, match=r"\.csv"):
        read_table(tmp_path / "t.xlsx")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 truncated")
    with pytest.raises(InvalidDataError, match="readable parquet"):
        read_table(tmp_path / "bad.parquet")


def test_table_source_needs_target_for_a_file(tmp_path):
    with pytest.raises(InvalidDataError, match="target column name"):
        TableSource(path=str(tmp_path / "x.csv")).load()
