"""Profiling: which regions of the table are thin, and how many rows each should gain."""

from augment.profile._regions import Region, find_class_regions
from augment.profile._sparse import METHODS, SparseRegionFinder
from augment.profile._strategy import resolve_sampling_strategy

__all__ = [
    "METHODS",
    "Region",
    "SparseRegionFinder",
    "find_class_regions",
    "resolve_sampling_strategy",
]
