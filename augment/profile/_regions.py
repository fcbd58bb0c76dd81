"""Regions of the table to grow, each with a membership test and a target count."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from augment.data import Schema
from augment.profile._strategy import resolve_sampling_strategy

__all__ = ["ClassRegion", "find_class_regions"]


@dataclass(frozen=True)
class ClassRegion:
    """All rows of one class: the coarsest thin region.

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"class=bad"``.
    label : object
        The class value, as it appears in the target column.
    description : str
        Human-readable membership rule.
    count : int
        Real rows in the region.
    target : int
        Rows wanted in the region after augmentation (real + synthetic).
    """

    id: str
    target_column: str
    label: object
    description: str
    count: int
    target: int

    @property
    def needed(self) -> int:
        return max(self.target - self.count, 0)

    def contains(self, rows: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows that belong to this region."""
        return rows[self.target_column] == self.label

    def to_dict(self) -> dict:
        return {"id": self.id, "label": str(self.label), "description": self.description,
                "count": self.count, "target": self.target}


def find_class_regions(y: pd.Series, schema: Schema, sampling_strategy) -> list[ClassRegion]:
    """One region per class that ``sampling_strategy`` asks to grow, in class order."""
    to_add = resolve_sampling_strategy(y, sampling_strategy)
    regions = []
    for label in schema.classes:
        if label not in to_add:
            continue
        count = int(schema.class_counts[label])
        regions.append(ClassRegion(
            id=f"class={label}",
            target_column=schema.target,
            label=label,
            description=f"{schema.target} == {label!r}",
            count=count,
            target=count + to_add[label],
        ))
    return regions
