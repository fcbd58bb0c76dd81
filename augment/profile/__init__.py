"""Profiling: which regions of the table are thin, and how many rows each should gain."""

from augment.profile._declared import DeclaredRegion, check_declared, declare_regions
from augment.profile._regions import Region, find_class_regions
from augment.profile._rule import RuleSyntaxError, parse_rule
from augment.profile._sparse import METHODS, SparseRegionFinder
from augment.profile._strategy import resolve_sampling_strategy

__all__ = [
    "METHODS",
    "DeclaredRegion",
    "Region",
    "RuleSyntaxError",
    "SparseRegionFinder",
    "check_declared",
    "declare_regions",
    "find_class_regions",
    "parse_rule",
    "resolve_sampling_strategy",
]
