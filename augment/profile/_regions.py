"""Regions of the table to grow, each with a membership test and a target count."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from augment.data import Schema, as_text
from augment.profile._rule import format_name, format_number, format_value
from augment.profile._strategy import resolve_sampling_strategy

__all__ = ["Region", "find_class_regions"]


@dataclass(frozen=True)
class Region:
    """Rows of one class, optionally narrowed by category sets and numeric ranges.

    Membership: ``target == label`` and, for every entry of ``categories``, the
    column's value is in the set, and for every entry of ``ranges``,
    ``low <= value < high`` (``None`` leaves a side open).

    Attributes
    ----------
    id : str
        Stable identifier, e.g. ``"class=bad"`` or ``"class=bad/sparse-0"``.
    label : object
        The class of every row in the region.
    description : str
        Human-readable membership rule.
    count, target : int
        Real rows in the region now, and rows wanted after augmentation.
    """

    id: str
    target_column: str
    label: object
    description: str
    count: int
    target: int
    categories: dict = field(default_factory=dict)
    ranges: dict = field(default_factory=dict)
    kind: str = "class"

    @property
    def needed(self) -> int:
        return max(self.target - self.count, 0)

    def contains(self, rows: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows that belong to this region."""
        mask = (rows[self.target_column] == self.label).to_numpy() & self.where(rows).to_numpy()
        return pd.Series(mask, index=rows.index)

    def where(self, rows: pd.DataFrame) -> pd.Series:
        """Boolean mask of the rows inside the region's category sets and ranges, whatever
        their class (a region's subgroup: the rows a model must rank within it)."""
        mask = np.ones(len(rows), dtype=bool)
        for column, values in self.categories.items():
            allowed = set(as_text(pd.Series(list(values), dtype=object)).iloc[:, 0])
            mask &= as_text(rows[column]).iloc[:, 0].isin(allowed).to_numpy()
        for column, (low, high) in self.ranges.items():
            x = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
            with np.errstate(invalid="ignore"):
                if low is not None:
                    mask &= x >= low
                if high is not None:
                    mask &= x < high
        return pd.Series(mask, index=rows.index)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "label": str(self.label),
                "description": self.description, "count": self.count, "target": self.target}

    @staticmethod
    def describe(target_column: str, label, categories: dict, ranges: dict) -> str:
        """``Class == 'bad' and sub_grade in {'F1', 'F2'} and annual_inc < 30000``.

        Written in the rule language (:mod:`augment.profile._rule`): the text parses
        back to the same membership, and a user can paste it into ``regions:``.
        """
        parts = [f"{format_name(target_column)} == {format_value(label)}"]
        for column, values in categories.items():
            values = sorted(map(str, values))  # membership compares text (as_text)
            name = format_name(column)
            parts.append(f"{name} == {format_value(values[0])}" if len(values) == 1 else
                         f"{name} in {{{', '.join(map(format_value, values))}}}")
        for column, (low, high) in ranges.items():
            name = format_name(column)
            if low is not None and high is not None:
                parts.append(f"{format_number(low)} <= {name} < {format_number(high)}")
            elif low is not None:
                parts.append(f"{name} >= {format_number(low)}")
            elif high is not None:
                parts.append(f"{name} < {format_number(high)}")
        return " and ".join(parts)


def find_class_regions(y: pd.Series, schema: Schema, sampling_strategy) -> list[Region]:
    """One region per class that ``sampling_strategy`` asks to grow, in class order."""
    to_add = resolve_sampling_strategy(y, sampling_strategy)
    regions = []
    for label in schema.classes:
        if label not in to_add:
            continue
        count = int(schema.class_counts[label])
        regions.append(Region(
            id=f"class={label}",
            target_column=schema.target,
            label=label,
            description=Region.describe(schema.target, label, {}, {}),
            count=count,
            target=count + to_add[label],
        ))
    return regions
