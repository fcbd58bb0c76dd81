"""Reading tables and detecting their column kinds."""

from augment.data._carried import carried_notes
from augment.data._distance_space import CATEGORY_WEIGHT, DistanceEncoder
from augment.data._encode import MISSING, as_float, as_text, make_encoder
from augment.data._load import (
    DEFAULT_DATASET,
    TableSource,
    fingerprint,
    load_default,
    read_table,
    sniff_separator,
)
from augment.data._schema import KINDS, Column, Schema, detect_schema

__all__ = [
    "CATEGORY_WEIGHT",
    "DEFAULT_DATASET",
    "KINDS",
    "MISSING",
    "Column",
    "DistanceEncoder",
    "Schema",
    "TableSource",
    "as_float",
    "as_text",
    "carried_notes",
    "detect_schema",
    "fingerprint",
    "load_default",
    "make_encoder",
    "read_table",
    "sniff_separator",
]
