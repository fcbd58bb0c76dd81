"""gaussian_copula fit_on=backed: each copula fitted on the real rows the labeler backs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment import Augmenter
from augment.data import detect_schema
from augment.errors import ConfigError, InvalidDataError
from augment.generators import GaussianCopulaGenerator
from augment.profile import find_class_regions


def _region(table):
    schema = detect_schema(table, "label")
    return schema, find_class_regions(table["label"], schema, "auto")[0]


def _mask(table, n_backed):
    """The first ``n_backed`` minority rows backed, every majority row backed."""
    minority = np.flatnonzero(table["label"].to_numpy() == "yes")
    mask = table["label"].to_numpy() == "no"
    mask[minority[:n_backed]] = True
    return mask


def _fitted(table, mask, **params):
    schema, region = _region(table)
    gen = GaussianCopulaGenerator(random_state=0, **params)
    if mask is not None:
        gen.set_backed(mask)
    return gen.fit(table, schema, [region]), region


def test_fit_on_all_ignores_the_mask(table):
    plain, region = _fitted(table, None)
    masked, _ = _fitted(table, _mask(table, 10), fit_on="all")
    assert not masked.wants_backed
    pd.testing.assert_frame_equal(plain.sample(50, region), masked.sample(50, region))
    assert masked.describe()["fit_on"] == {"class=yes": {"rows": 15, "fitted_on": 15}}


def test_fit_on_backed_fits_on_backed_rows_only(table):
    mask = _mask(table, 10)
    gen, region = _fitted(table, mask, fit_on="backed", min_backed_rows=5)
    assert gen.wants_backed
    assert gen.describe()["fit_on"]["class=yes"] == {"rows": 15, "backed": 10, "fell_back": False,
                                                    "fitted_on": 10}
    # the same copula as one fitted (fit_on=all) on a table holding only the backed rows
    only, _ = _fitted(table[mask].reset_index(drop=True), None)
    pd.testing.assert_frame_equal(gen.sample(50, region), only.sample(50, region))


def test_fit_on_backed_falls_back_when_too_few_are_backed(table):
    plain, region = _fitted(table, None)
    gen, _ = _fitted(table, _mask(table, 4), fit_on="backed", min_backed_rows=5)
    entry = gen.describe()["fit_on"]["class=yes"]
    assert entry["fell_back"] and entry["fitted_on"] == 15 and entry["backed"] == 4
    assert "min_backed_rows 5" in entry["why"]
    pd.testing.assert_frame_equal(plain.sample(30, region), gen.sample(30, region))


def test_fit_on_backed_without_a_mask_falls_back(table):
    gen, _ = _fitted(table, None, fit_on="backed")
    entry = gen.describe()["fit_on"]["class=yes"]
    assert entry["fell_back"] and entry["backed"] is None and entry["fitted_on"] == 15


def test_min_backed_rows_never_below_min_class_rows(table):
    gen, _ = _fitted(table, _mask(table, 4), fit_on="backed", min_backed_rows=1)
    assert gen.describe()["fit_on"]["class=yes"]["fell_back"]  # 4 < min_class_rows 5


def test_fit_on_backed_is_deterministic(table):
    mask = _mask(table, 12)
    a, region = _fitted(table, mask, fit_on="backed", min_backed_rows=5)
    b, _ = _fitted(table, mask, fit_on="backed", min_backed_rows=5)
    pd.testing.assert_frame_equal(a.sample(40, region), b.sample(40, region))


def test_fit_on_backed_with_joint_conditioning(table):
    gen, region = _fitted(table, _mask(table, 10), fit_on="backed", min_backed_rows=5,
                          conditioning="conditions")
    fit_on = gen.describe()["fit_on"]
    assert fit_on["class=yes"]["fitted_on"] == 10 and fit_on["class=no"]["fitted_on"] == 60
    assert len(gen.sample(20, region)) == 20


def test_mask_of_the_wrong_length(table):
    with pytest.raises(InvalidDataError, match="one value per table row"):
        _fitted(table, np.ones(3, bool), fit_on="backed")


@pytest.mark.parametrize(("params", "match"), [
    ({"fit_on": "leaves"}, "fit_on must be one of \\['all', 'backed'\\]; got 'leaves'.*Fix"),
    ({"min_backed_rows": 0}, "min_backed_rows must be an integer >= 1; got 0"),
])
def test_bad_fit_on_is_a_config_error_before_any_fit(table, params, match):
    gen = GaussianCopulaGenerator(random_state=0, **params)
    aug = Augmenter(generator=gen, random_state=0, progress=False, batch_gates=())
    with pytest.raises(ConfigError, match=match):
        aug.fit_table(table, "label")
    assert not hasattr(gen, "synthesizers_")


def test_pipeline_hands_over_the_rows_the_label_gate_keeps(table):
    # the strict bar backs some rows; match with floor_quantile=0 backs every row (below)
    gen = GaussianCopulaGenerator(fit_on="backed", min_backed_rows=5, random_state=0)
    aug = Augmenter(generator=gen, profile=None, random_state=0, progress=False,
                    batch_gates=(), label_acceptance="strict")
    aug.fit_table(table, "label")
    entry = aug.result_.generator["fit_on"]["class=yes"]
    # the labeler (fitted on the same rows) backs some, not all, of the 15 minority rows
    assert entry["rows"] == 15 and 0 < entry["backed"] < 15
    assert not entry["fell_back"] and entry["fitted_on"] == entry["backed"]
    again = Augmenter(generator=GaussianCopulaGenerator(fit_on="backed", min_backed_rows=5,
                                                        random_state=0),
                      profile=None, random_state=0, progress=False, batch_gates=(),
                      label_acceptance="strict")
    again.fit_table(table, "label")
    pd.testing.assert_frame_equal(aug.result_.synthetic, again.result_.synthetic)
    for floor, backs_all in ((0.0, True), (0.3, False)):
        matched = Augmenter(generator=GaussianCopulaGenerator(
            fit_on="backed", min_backed_rows=5, random_state=0), profile=None, random_state=0,
            progress=False, batch_gates=(), floor_quantile=floor).fit_table(table, "label")
        entry = matched.result_.generator["fit_on"]["class=yes"]
        assert (entry["backed"] == 15) is backs_all


def test_pipeline_gives_no_mask_without_an_agree_label_gate(table):
    gen = GaussianCopulaGenerator(fit_on="backed", min_backed_rows=5, random_state=0)
    aug = Augmenter(generator=gen, profile=None, label_policy="relabel", min_confidence=0.5,
                    random_state=0, progress=False, batch_gates=())
    aug.fit_table(table, "label")
    entry = aug.result_.generator["fit_on"]["class=yes"]
    assert entry["backed"] is None and entry["fell_back"]


def test_cli_override_composes():
    from hydra import compose, initialize_config_dir

    from augment._instantiate import instantiate
    from augment.cli import config_dir

    with initialize_config_dir(config_dir=config_dir(), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["generator=gaussian_copula",
                                                         "generator.fit_on=backed"])
    gen = instantiate(cfg.generator, "generator")
    assert gen.fit_on == "backed" and not gen.check_params()


def test_a_mask_serves_one_fit_only(table):
    gen, region = _fitted(table, _mask(table, 10), fit_on="backed", min_backed_rows=5)
    assert gen.describe()["fit_on"]["class=yes"]["fitted_on"] == 10
    schema, region = _region(table)
    gen.fit(table, schema, [region])  # no new mask: falls back instead of reusing the old one
    assert gen.describe()["fit_on"]["class=yes"]["fell_back"]
