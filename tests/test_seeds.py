"""The run seed reaches the samples that reports and schema detection draw."""

import numpy as np
import pandas as pd

from augment.data import detect_schema
from augment.data._carried import datetime_text
from augment.report import _writer, write_run


def _dates_and_one_word(n=1500):
    dates = pd.date_range("2020-01-01", periods=n - 1, freq="D").strftime("%Y-%m-%d")
    return pd.Series([*dates, "not a date"])


def test_date_text_sample_uses_the_seed():
    values = _dates_and_one_word()
    found = {seed: datetime_text(values, seed) for seed in range(6)}
    # the one word is read only when the seed's sample of 1,000 values holds it
    assert {v is None for v in found.values()} == {True, False}
    assert all(datetime_text(values, seed) == found[seed] for seed in found)
    frame = pd.DataFrame({"when": values, "x": np.arange(len(values)) % 7,
                          "y": ["a", "b"] * (len(values) // 2)})
    for seed, example in found.items():
        schema = detect_schema(frame, "y", random_state=seed)
        kind = schema.carried["when"]["kind"]  # all distinct: an identifier when not dates
        assert kind == ("identifier" if example is None else "datetime")


def test_report_figures_draw_with_the_run_seed(table, tmp_path, monkeypatch):
    from augment import Augmenter
    from augment.generators import SMOTEGenerator

    result = Augmenter(generator=SMOTEGenerator(k_neighbors=3), random_state=0, progress=False,
                       min_confidence=0.5, batch_gates=()).fit_table(table, "label").result_
    seen = []

    def record(result, folder, random_state=0):
        seen.append(random_state)
        folder.mkdir(parents=True, exist_ok=True)
        return []

    monkeypatch.setattr(_writer, "make_figures", record)
    info = {"path": "x.csv", "rows": 75, "columns": 5, "target": "label", "sha256": "0" * 64}
    write_run(result, tmp_path / "a", input_info=info, seed=7)
    assert seen == [7]
