"""The pathway that adds nothing: a baseline for comparisons."""

from __future__ import annotations

import pandas as pd

from augment.generators.base import BaseGenerator
from augment.profile import Region

__all__ = ["NoneGenerator"]


class NoneGenerator(BaseGenerator):
    """Generates no rows; the output is the real table alone."""

    name = "none"

    def __init__(self, random_state: int | None = None):
        self.random_state = random_state

    def _fit(self, table: pd.DataFrame) -> None:
        pass

    def _sample(self, n: int, region: Region, seed: int) -> pd.DataFrame:
        return self._empty()
