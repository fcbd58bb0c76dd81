"""The report's per-region evaluation section: held-out real rows inside each region."""

from __future__ import annotations

__all__ = ["region_section"]


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def region_section(metrics: dict | None) -> list[str]:
    """Markdown lines: per region, PR-AUC / recall of every pathway and model, and the
    worst region. Empty when the evaluation had no region (or did not run)."""
    regions = (metrics or {}).get("regions") or []
    if not regions:
        return []
    import pandas as pd

    from augment.report._markdown import markdown_table

    out = ["## Held-out rows per region", "",
           "Held-out real rows inside each declared and discovered region (any class): PR-AUC "
           "of the region's class among them / recall of its rows at the model's decision.", ""]
    out += [f"- `{r['id']}` ({r['kind']}): `{r['description']}`; {r['test_rows']} held-out rows "
            f"inside, {r['test_positives']} of its class" for r in regions]
    rows = []
    for result in metrics["results"]:
        per = result.get("regions", {})
        rows.append({"pathway": result["pathway"], "model": result["model"],
                     **{r["id"]: f"{_fmt(per.get(r['id'], {}).get('pr_auc'))} / "
                                 f"{_fmt(per.get(r['id'], {}).get('recall'))}" for r in regions},
                     "worst PR-AUC": _fmt(result.get("worst_region_pr_auc")),
                     "worst recall": _fmt(result.get("worst_region_recall"))})
    out += ["", markdown_table(pd.DataFrame(rows)), ""]
    skipped = metrics.get("skipped") or {}
    out += [f"Baseline `{name}` skipped: {why}." for name, why in skipped.items()]
    return out + ([""] if skipped else [])
