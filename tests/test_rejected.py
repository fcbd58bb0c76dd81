import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import augment._rejected as rejected_module
from augment import Augmenter
from augment._rejected import RejectedRows, concat_frames
from augment.generators import SMOTEGenerator


def _parts():
    """Frames as the loop appends them: columns that come and go, mixed types."""
    rng = np.random.default_rng(0)
    out = []
    for k in range(5):
        n = 7 + k
        frame = pd.DataFrame({
            "x": rng.normal(size=n),
            "n": rng.integers(0, 5, n) if k % 2 else rng.normal(size=n),  # int, then float
            "c": rng.choice(["a", "b", "é x"], n).astype(object),
            "_region": f"class=r{k % 2}", "_round": k,
            "_label": np.where(rng.random(n) < 0.5, "yes", None).astype(object),
            "_reason": [f"validity: x={v:.3f} too big" for v in rng.random(n)],
        })
        frame["_reasons"] = frame["_reason"]
        if k >= 2:  # a column only later parts have (e.g. a sub-region's membership score)
            frame["_score_region"] = rng.random(n)
        out.append(frame)
    return out


def _read(path) -> pd.DataFrame:
    return pd.read_parquet(path)


def test_rows_spilled_to_disk_read_back_the_same(tmp_path):
    held, spilled = RejectedRows(), RejectedRows(spill_rows=10)
    for part in _parts():
        held.append(part)
        spilled.append(part)
    assert not held.spilled and spilled.spilled and len(held) == len(spilled) == 45
    expected = pd.concat(_parts(), ignore_index=True)
    for store in (held, spilled):
        frame = store.frame()
        assert list(frame.columns) == list(expected.columns)
        assert isinstance(frame["_reason"].dtype, pd.CategoricalDtype)  # stored compactly
        text = (*rejected_module.TEXT_COLUMNS, *rejected_module.CLASS_COLUMNS)
        pd.testing.assert_frame_equal(frame.astype({c: object for c in text if c in frame}),
                                      expected.astype({"_region": object}), check_dtype=False)
        assert store.frame(["_region", "nothing"]).columns.tolist() == ["_region"]
    held.write(tmp_path / "held.parquet")
    spilled.write(tmp_path / "spilled.parquet")
    a, b = _read(tmp_path / "held.parquet"), _read(tmp_path / "spilled.parquet")
    pd.testing.assert_frame_equal(a, b)
    assert a["_reason"].dtype == object and a["_label"].isna().sum() == expected[
        "_label"].isna().sum()
    assert np.allclose(a["x"], expected["x"]) and a["_score_region"].isna().sum() == 7 + 8


def test_sample_is_even_and_deterministic():
    store = RejectedRows(spill_rows=10)
    for part in _parts():
        store.append(part)
    first, again = store.sample(20, random_state=1), store.sample(20, random_state=1)
    pd.testing.assert_frame_equal(first, again)
    assert 15 <= len(first) <= 25 and set(first["_round"]) == set(range(5))
    assert len(store.sample(1000)) == 45


def test_spill_folder_is_removed_with_the_rows():
    store = RejectedRows(spill_rows=5)
    for part in _parts():
        store.append(part)
    folder = Path(store._files[0]).parent
    assert folder.exists()
    del store
    gc.collect()
    assert not folder.exists()


def test_concat_keeps_categories():
    a = pd.DataFrame({"t": pd.Categorical(["x", "y"])})
    b = pd.DataFrame({"t": pd.Categorical(["z"]), "v": [1.0]})
    out = concat_frames([a, b])
    assert isinstance(out["t"].dtype, pd.CategoricalDtype)
    assert out["t"].tolist() == ["x", "y", "z"] and out["v"].isna().sum() == 2


@pytest.mark.parametrize("check_all", [False, True])
def test_a_run_that_spills_gives_the_same_rejected_rows(table, monkeypatch, tmp_path, check_all):
    from augment.report import write_run

    def run():
        aug = Augmenter(random_state=0, progress=False, generator=SMOTEGenerator(k_neighbors=3),
                        batch_gates=(), check_all=check_all).fit_table(table, "label")
        return aug.result_

    plain = run()
    monkeypatch.setattr(rejected_module, "SPILL_ROWS", 7)
    spilled = run()
    assert spilled.rejected_rows.spilled and not plain.rejected_rows.spilled
    pd.testing.assert_frame_equal(plain.rejected, spilled.rejected)
    assert plain.regions == spilled.regions and plain.consistency == spilled.consistency
    for name, result in (("plain", plain), ("spilled", spilled)):
        write_run(result, tmp_path / name, input_info={"path": "t.csv", "rows": len(table),
                                                      "sha256": "0" * 64})
    pd.testing.assert_frame_equal(_read(tmp_path / "plain" / "rejected.parquet"),
                                  _read(tmp_path / "spilled" / "rejected.parquet"))


def test_sample_takes_the_same_rows_spilled_or_not():
    held, spilled = RejectedRows(), RejectedRows(spill_rows=10)
    for part in _parts():
        held.append(part)
        spilled.append(part)
    a, b = held.sample(20, random_state=3), spilled.sample(20, random_state=3)
    assert len(a) == 20
    pd.testing.assert_frame_equal(a.astype({"_label": object}), b.astype({"_label": object}))


def test_a_pickled_store_carries_its_spilled_rows():
    import pickle

    store = RejectedRows(spill_rows=5)
    for part in _parts():
        store.append(part)
    again = pickle.loads(pickle.dumps(store))
    del store
    gc.collect()
    assert len(again) == 45 and not again.spilled
    assert again.frame()["_round"].tolist() == pd.concat(_parts())["_round"].tolist()


def test_class_columns_keep_their_values():
    store = RejectedRows()
    store.append(pd.DataFrame({"x": [1.0, 2.0], "_label": [1, None], "_intended": [0, 1]}))
    frame = store.frame()
    assert frame["_intended"].tolist() == [0, 1] and frame["_label"].tolist()[0] == 1


def test_a_run_that_rejects_nothing_has_the_columns_and_writes(table, tmp_path):
    from augment.report import write_run

    result = Augmenter(random_state=0, progress=False, generator="none").fit_table(
        table, "label").result_
    assert len(result.rejected) == 0
    assert {*table.columns, "_reason", "_region"} <= set(result.rejected.columns)
    write_run(result, tmp_path / "run", input_info={"path": "t.csv", "rows": len(table),
                                                    "sha256": "0" * 64})
    assert "_reason" in _read(tmp_path / "run" / "rejected.parquet").columns
