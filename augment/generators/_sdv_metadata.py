"""SDV metadata built from augment's own schema (not SDV's guesses)."""

from __future__ import annotations

from augment.data import Schema

TABLE = "table"

_SDTYPE = {"numeric": "numerical", "integer": "numerical", "categorical": "categorical",
           "boolean": "boolean"}


def sdv_metadata(schema: Schema, with_target: bool = True):
    """Metadata for one table named ``"table"``.

    SDV's own detection would mark columns such as US states as personal data
    and replace them with fake values, and integers with few values as ordinal;
    augment decides column kinds itself and tells SDV.
    """
    from sdv.metadata import Metadata

    columns = {name: {"sdtype": _SDTYPE[col.kind]} for name, col in schema.columns.items()}
    if with_target:
        columns[schema.target] = {"sdtype": "categorical"}
    return Metadata.load_from_dict(
        {"tables": {TABLE: {"columns": columns}}, "relationships": [],
         "METADATA_SPEC_VERSION": "V1"}
    )
