"""The audit trail: where one row of ``augmented.parquet`` came from and why it was kept."""

from __future__ import annotations

import json
import math
import numbers
from pathlib import Path

import pandas as pd

from augment.errors import InvalidDataError
from augment.report._markdown import batch_verdict
from augment.report._provenance import config_hash

__all__ = ["format_trace", "read_manifest", "trace_row"]

MANIFEST = "manifest.json"
AUGMENTED = "augmented.parquet"
#: Per-row gate score columns, when the pipeline writes them: ``_score_<gate>``.
SCORE_PREFIX = "_score_"


def read_manifest(run_dir: str | Path) -> dict:
    """The manifest of a complete run directory; a clear error when there is none."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InvalidDataError(
            f"Expected a run directory at '{run_dir}'. Got: "
            f"{'a file' if run_dir.exists() else 'no such directory'}. "
            "Fix: pass the folder an augment run wrote (it holds manifest.json).")
    path = run_dir / MANIFEST
    if not path.is_file():
        raise InvalidDataError(
            f"Expected '{path}'. Got: no manifest. The run did not finish (the manifest is "
            "written last) or this is not a run directory. Fix: rerun it, or pass a complete run.")
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InvalidDataError(f"Expected a JSON manifest at '{path}'. Got: {exc}. "
                               "Fix: rerun the run that wrote it.") from exc


def _plain(value):
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def trace_row(run_dir: str | Path, row: int) -> dict:
    """The full trace of row ``row`` (0-based position) of ``augmented.parquet``.

    Joins the row's own provenance columns (``_region``, ``_generator``, ``_round``,
    ``_rule``, ``_label_confidence``, and ``_score_<gate>`` when present) with the
    manifest: seed, generator class, parameters and their hash, region rule,
    labeler version and registry, gates and their parameters, the batch checks of
    the row's class, input SHA-256 and git commit.

    Parameters
    ----------
    run_dir : str or Path
        A complete run directory.
    row : int
        Position of the row in ``augmented.parquet`` (real rows come first).

    Returns
    -------
    dict
        JSON-ready; ``synthetic`` tells which kind of row it is.
    """
    manifest = read_manifest(run_dir)
    table = _read_augmented(run_dir, row)
    record = table.iloc[int(row)]
    provenance_cols = [c for c in table.columns if c.startswith("_")]
    values = {str(c): _plain(record[c]) for c in table.columns if c not in provenance_cols}
    extra = {str(c): _plain(record[c]) for c in provenance_cols}
    target = manifest.get("schema", {}).get("target")
    common = {"row": int(row), "run_dir": str(run_dir), "values": values,
              "label": values.get(target), "seed": manifest.get("seed"),
              "input_sha256": manifest.get("input", {}).get("sha256"),
              "git_commit": (manifest.get("provenance") or {}).get("git_commit"),
              "augment_version": manifest.get("augment_version")}
    if not bool(record["_synthetic"]):
        n_real = int((~table["_synthetic"]).sum())
        return {**common, "synthetic": False,
                "origin": f"real row {int(row)} of {n_real} in the input, unchanged",
                "weight": extra.get("_weight")}
    return {**common, "synthetic": True, **_synthetic_trace(manifest, extra,
                                                            f"class={values.get(target)}")}


def _read_augmented(run_dir: str | Path, row) -> pd.DataFrame:
    """``augmented.parquet`` of the run, once ``row`` is known to be a position in it."""
    path = Path(run_dir) / AUGMENTED
    if not path.is_file():
        raise InvalidDataError(f"Expected '{path}'. Got: no such file. Fix: rerun the run.")
    table = pd.read_parquet(path)
    if not isinstance(row, numbers.Integral) or isinstance(row, bool) or not (
            0 <= row < len(table)):
        raise InvalidDataError(f"Expected a row index from 0 to {len(table) - 1}. Got {row!r}. "
                               "Fix: pass a position in augmented.parquet.")
    return table


#: Provenance columns a synthetic row's trace places under a heading of its own.
_PLACED = {"_synthetic", "_weight", "_region", "_generator", "_round", "_rule",
           "_label_confidence", "_intended", "_relabelled"}


def _synthetic_trace(manifest: dict, extra: dict, class_region: str) -> dict:
    """What made a synthetic row: generator, region, labeler, gates and its class's batch
    checks, from the manifest and the row's provenance columns ``extra``."""
    generator = manifest.get("generator", {})
    region_id = extra.get("_region")
    region = next((r for r in manifest.get("regions", []) if r.get("id") == region_id), {})
    labeler = manifest.get("labeler", {})
    gates = manifest.get("gates", {})
    scores = {c[len(SCORE_PREFIX):]: v for c, v in extra.items() if c.startswith(SCORE_PREFIX)}
    batch = [{k: b.get(k) for k in ("gate", "score", "threshold", "passed", "message")}
             for b in manifest.get("batch_fidelity", []) if b.get("region") == class_region]
    return {
        "generator": {"name": generator.get("name"), "class": generator.get("class"),
                      "params": generator.get("params"),
                      "config_hash": config_hash({"class": generator.get("class"),
                                                  "params": generator.get("params")})},
        "region": {"id": region_id, "description": region.get("description"),
                   "kind": region.get("kind")},
        "round": extra.get("_round"),
        "labeler": {"version": labeler.get("version"), "registry": labeler.get("registry"),
                    "class": labeler.get("class"), "params": labeler.get("params"),
                    "rule": extra.get("_rule"), "confidence": extra.get("_label_confidence"),
                    "intended": extra.get("_intended"), "relabelled": extra.get("_relabelled")},
        "gates": {"row": gates.get("row"), "params": gates.get("params"),
                  "scores": scores or None,
                  "note": None if scores else "per-row gate scores are not recorded in this "
                  "run; the row passed every row gate listed"},
        "batch_checks": batch,
        "weight": extra.get("_weight"),
        "other": {k: v for k, v in extra.items()
                  if k not in _PLACED and not k.startswith(SCORE_PREFIX)},
    }


def format_trace(trace: dict) -> str:
    """A trace as readable text (what ``python -m augment.monitor trace`` prints)."""
    lines = [f"row {trace['row']} of {trace['run_dir']}/augmented.parquet: "
             + ("synthetic" if trace["synthetic"] else "real")]
    lines.append("values: " + ", ".join(f"{k}={v!r}" for k, v in trace["values"].items()))
    if not trace["synthetic"]:
        lines.append(f"origin: {trace['origin']}")
    else:
        g, r, lab, gates = trace["generator"], trace["region"], trace["labeler"], trace["gates"]
        lines += [
            f"generator: {g['name']} ({g['class']}), params {json.dumps(g['params'])}, "
            f"config hash {g['config_hash']}",
            f"region: {r['id']} ({r['description']})",
            f"seed {trace['seed']}, round {trace['round']}",
            f"labeler: version {lab['version']} (registry {lab['registry']}), rule: {lab['rule']}",
            f"label {trace['label']!r} with confidence {lab['confidence']}"
            + (f", intended {lab['intended']!r}" if lab.get("intended") is not None else "")
            + (", relabelled" if lab.get("relabelled") else ""),
            f"row gates passed: {', '.join(gates['row'] or [])}"
            + (f"; scores {json.dumps(gates['scores'])}" if gates["scores"] else
               f" ({gates['note']})"),
        ]
        for b in trace["batch_checks"]:
            verdict, detail = batch_verdict(b)
            lines.append(f"batch check {b['gate']}: {verdict} ({detail})")
    lines += [f"weight {trace['weight']}", f"input sha256 {trace['input_sha256']}",
              f"git commit {trace['git_commit']}"]
    return "\n".join(lines)
