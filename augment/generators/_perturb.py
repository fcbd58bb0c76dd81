"""Controlled perturbation of real rows: the baseline that stays closest to the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.generators.base import BaseGenerator
from augment.profile import Region

__all__ = ["PerturbationGenerator"]


class PerturbationGenerator(BaseGenerator):
    """Jitter real rows of a region within the region's own observed bounds.

    Each synthetic row starts from a real row of the region drawn at random, then:

    - numeric columns get Gaussian noise with standard deviation
      ``noise * std`` of the column within the region, clipped to the region's
      observed range (and its ``ranges`` bounds); integer columns are rounded;
    - categorical and boolean columns are swapped, with probability ``swap_prob``,
      for a value drawn from the region's own distribution of that column (so a
      value never seen in the region never appears, and the region's ``categories``
      hold);
    - missing values stay missing.

    Parameters
    ----------
    noise : float >= 0
        Numeric noise scale, relative to the column's spread in the region.
    swap_prob : float in [0, 1]
        Probability that a categorical cell is redrawn.
    min_region_rows : int
        Fewest real rows a region needs (2: one row has no spread).
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

    def __init__(self, noise: float = 0.1, swap_prob: float = 0.05, min_region_rows: int = 2,
                 random_state: int | None = None):
        self.noise = noise
        self.swap_prob = swap_prob
        self.min_region_rows = min_region_rows
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
        self.bounds_ = {}
        for rid, rows in self.rows_.items():
            ranges = self.regions_[rid].ranges
            bounds = {}
            for name in self.schema_.numeric:
                x = pd.to_numeric(rows[name], errors="coerce")
                low, high = x.min(), x.max()
                r_low, r_high = ranges.get(name, (None, None))
                if r_low is not None:
                    low = max(low, r_low)
                if r_high is not None:  # the region's upper bound is exclusive
                    high = min(high, np.nextafter(r_high, -np.inf))
                bounds[name] = (float(low), float(high), float(np.nan_to_num(x.std(ddof=0))))
            self.bounds_[rid] = bounds

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        real = self.rows_[region.id]
        out = real.iloc[rng.integers(len(real), size=n)].reset_index(drop=True)
        integers = set(self.schema_.names("integer"))
        for name, (low, high, std) in self.bounds_[region.id].items():
            x = pd.to_numeric(out[name], errors="coerce").to_numpy(dtype=float)
            x = np.clip(x + rng.normal(0.0, self.noise * std, n), low, high)
            if name in integers:  # round inside the bounds
                x = np.clip(np.round(x), np.ceil(low), np.floor(high))
            out[name] = x
        for name in self.schema_.categorical:
            observed = real[name].dropna()
            swap = (rng.random(n) < self.swap_prob) & out[name].notna().to_numpy()
            if swap.any() and len(observed):
                out.loc[swap, name] = observed.iloc[
                    rng.integers(len(observed), size=int(swap.sum()))].to_numpy()
        return out
