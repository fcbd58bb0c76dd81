"""Controlled perturbation of real rows: the baseline that stays closest to the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.generators._dcr import DCR_TARGET, Spread, perturb
from augment.generators.base import BaseGenerator
from augment.profile import Region

__all__ = ["PerturbationGenerator"]


class PerturbationGenerator(BaseGenerator):
    """Jitter real rows of a region within the region's own observed bounds.

    Each synthetic row starts from a real row of the region drawn at random, then:

    - numeric columns get Gaussian noise with standard deviation
      ``noise * std`` of the column within the region, clipped to the region's
      observed range (and its ``ranges`` bounds); integer columns are rounded;
    - with probability ``swap_prob`` each categorical and boolean cell of a row takes the
      value of a real row of the region drawn among the row's 30 nearest (the whole row,
      :func:`augment.generators._dcr.perturb`): values seen near the row (the region's
      ``categories`` hold);
    - numeric missing values stay missing.

    Parameters
    ----------
    noise : float >= 0
        Numeric noise scale, relative to the column's spread in the region.
    swap_prob : float in [0, 1]
        Probability that a row's categorical cells take its neighbours' values.
    min_region_rows : int
        Fewest real rows a region needs (2: one row has no spread).
    dcr_target : float in (0, 2] or None
        Rows must sit no closer to the region's real rows than those rows sit to each
        other, by this ratio of median distances (1.0: like unseen real rows). With the
        default ``noise`` a jittered row is a near-copy of its source, so at fit the base
        calibrates per region the least further move of the same kind that reaches it
        (``dcr_``; :mod:`augment.generators._dcr`). None: the rows above as they are.
    random_state : int or None
        Seed; each ``sample`` call draws its own seed from it.

    Examples
    --------
    >>> import pandas as pd
    >>> from augment.data import detect_schema
    >>> from augment.generators import PerturbationGenerator
    >>> table = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "y": ["a", "a", "a", "a", "b", "b"]})
    >>> gen = PerturbationGenerator(random_state=0).fit(table, detect_schema(table, "y"))
    >>> len(gen.sample(3, next(iter(gen.regions_.values()))))
    3
    """

    name = "perturbation"
    moves_to_dcr = True

    def __init__(self, noise: float = 0.1, swap_prob: float = 0.05, min_region_rows: int = 2,
                 dcr_target: float | None = DCR_TARGET, random_state: int | None = None):
        self.noise = noise
        self.swap_prob = swap_prob
        self.min_region_rows = min_region_rows
        self.dcr_target = dcr_target
        self.random_state = random_state

    @property
    def min_class_rows(self) -> int:  # type: ignore[override]
        ok = isinstance(self.min_region_rows, int) and self.min_region_rows >= 1
        return int(self.min_region_rows) if ok else 1

    def check_params(self) -> list[str]:
        problems = super().check_params()
        if not isinstance(self.noise, (int, float)) or self.noise < 0:
            problems.append(f"perturbation noise must be a number >= 0; got {self.noise!r}.")
        if not isinstance(self.swap_prob, (int, float)) or not 0 <= self.swap_prob <= 1:
            problems.append(f"perturbation swap_prob must be in [0, 1]; got {self.swap_prob!r}.")
        if not isinstance(self.min_region_rows, int) or self.min_region_rows < 1:
            problems.append(f"perturbation min_region_rows must be an integer >= 1; got "
                            f"{self.min_region_rows!r}.")
        return problems

    def _fit(self, table: pd.DataFrame) -> None:
        self.rows_ = {rid: table[region.contains(table).to_numpy()].reset_index(drop=True)
                      for rid, region in self.regions_.items()}
        self.spread_ = {rid: Spread(rows, self.regions_[rid], self.schema_)
                        for rid, rows in self.rows_.items()}

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        real = self.rows_[region.id]
        out = real.iloc[rng.integers(len(real), size=n)].reset_index(drop=True)
        return perturb(out, self.spread_[region.id], self.noise, self.swap_prob, rng)
