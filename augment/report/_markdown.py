"""``report.md``: the run explained for a person, figures included."""

from __future__ import annotations

__all__ = ["batch_verdict", "markdown_table", "render_markdown"]

_ON_FAIL = {"reject": "rejected every kept row of its region",
            "warn": "was reported and its rows kept"}
_VERDICTS = {True: "pass", False: "FAIL", None: "skipped"}


def batch_verdict(entry: dict) -> tuple[str, str]:
    """``("pass" | "FAIL" | "skipped", detail)`` of one batch check, the detail not repeating
    the verdict (a skipped check's message starts with "skipped: ")."""
    verdict = _VERDICTS[entry["passed"]]
    detail = str(entry["message"])
    if detail.startswith(f"{verdict}: "):
        detail = detail[len(verdict) + 2:]
    return verdict, detail


def _batch_outcome(batch: list[dict], on_fail: str) -> str:
    """One sentence on what the batch checks found, true to this run."""
    failed = sum(b["passed"] is False for b in batch)
    skipped = sum(b["passed"] is None for b in batch)
    if failed:
        text = (f"{failed} of {len(batch)} batch checks failed; a failed check "
                f"{_ON_FAIL[on_fail]} (`batch_on_fail={on_fail}`).")
    elif skipped < len(batch):
        text = "Every batch check that ran passed."
    else:
        text = "No batch check ran."
    if skipped:
        text += (f" {skipped} skipped for too few rows: those classes' kept rows were not "
                 "compared with their real rows.")
    return text


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_table(frame) -> str:
    """A pandas DataFrame as a GitHub markdown table (no extra dependency)."""
    return _table([str(c) for c in frame.columns], frame.astype(object).values.tolist())


def _generator_section(gen: dict) -> list[str]:
    out = ["## Generator", "", f"`{gen['class']}` (`{gen['name']}`), parameters "
           f"`{gen['params']}`.", ""]
    training = gen.get("training")
    if training:
        out += [f"Trained {training['epochs_run']} of {training['epochs']} epochs in "
                f"{training['fit_seconds']} s on {training['device']}"
                + (" — **stopped early by the time budget**" if training["stopped_early"]
                   else "") + ".", ""]
    acceptance = gen.get("acceptance")
    if acceptance:
        out += [_table(["region", "requested", "delivered", "generated", "accepted", "rate",
                        "how", "shortfall"],
                       [[rid, a.get("requested"), a.get("delivered"), a.get("generated"),
                         a.get("accepted"), a.get("rate"), a.get("how", a.get("mode", "")),
                         a.get("shortfall", "")] for rid, a in acceptance.items()]), ""]
    return out


def _pair(entry: dict, key: str) -> str:
    value = entry.get(key)
    return f"{value['candidates']} -> {value['kept']}" if value else "-"


def _distortion_section(result) -> list[str]:
    if not result.distortion:
        return []
    rows = []
    for d in result.distortion:
        if "skipped" in d:
            rows.append([d["region"], d["real_rows"], d["candidates"], d["kept"], "-", "-", "-",
                         d["skipped"]])
            continue
        rows.append([d["region"], d["real_rows"], d["candidates"], d["kept"],
                     *(_pair(d, key) for key in ("auc", "marginal", "joint")), "; ".join(
                         f.split(": ", 1)[1] for f in d["findings"]) or "none"])
    return ["## What the gates did (candidates -> kept rows, each against the real rows)", "",
            _table(["class / region", "real rows", "candidates (sample)", "kept",
                    "two-sample AUC", "marginal similarity", "joint similarity", "findings"],
                   rows), "",
            "A fresh cross-fitted gradient-boosting classifier tells each side from the real "
            "rows of the class or region (same number of rows per side; 0.5: "
            "indistinguishable). Gates should move the candidates toward the real rows: AUC "
            "down or equal, similarity up or equal. *findings* name columns, category values "
            "and regions the gates moved away from the real rows.", ""]


def _summary_section(result, manifest: dict) -> list[str]:
    counts = manifest["counts"]
    out = [
        "# augment run report",
        "",
        f"Input: `{manifest['input'].get('path') or manifest['input'].get('name')}` "
        f"({manifest['input']['rows']} rows, target `{result.schema.target}`), "
        f"SHA-256 `{manifest['input']['sha256'][:16]}…`; seed {manifest['seed']}; "
        f"generator `{result.generator['name']}`; labeler `{result.labeler['name']}`.",
        "",
        "## Summary",
        "",
        _table(["real rows", "requested", "generated", "kept", "rejected", "surplus"],
               [[counts["real_rows"], counts["requested"], counts["generated"], counts["kept"],
                 counts["rejected"], counts["surplus"]]]),
        "",
        "Rejected by reason (first failed check): "
        + (", ".join(f"{k} {v}" for k, v in counts["rejected_by_reason"].items()) or "none")
        + ". Surplus rows passed every gate after their region's target was met.",
        "",
    ]
    verdicts = result.verdicts()
    if verdicts:
        out += ["## Verdict", ""] + [f"- **{v['verdict']}**: {v['text']}" for v in verdicts]
        out += [""]
    if result.warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in result.warnings] + [""]
    return out


def _coverage_section(result) -> list[str]:
    return ["## Coverage per region", "",
            _table(["region", "rule", "real rows (before)", "real rows the label check keeps",
                    "target", "after", "generated for it", "kept for it", "pass rate", "rounds",
                    "stopped"],
                   [[r["id"], f"`{r['description']}`", r["count"],
                     "-" if r.get("real_rows_backed") is None else r["real_rows_backed"],
                     r["target"], r["after"], r["generated"], r["kept"], r["pass_rate"],
                     r["rounds"], r["stopped"]]
                    for r in result.regions]) if result.regions else "No region needed rows.",
            "",
            "*after* counts real rows plus every kept synthetic row inside the region, whichever "
            "region it was generated for; sub-region rows count towards their class's target. "
            "*pass rate*: share of generated rows that passed every gate (surplus included). "
            "*real rows the label check keeps* (strict acceptance only): a region whose own real "
            "rows the labeler does not back rarely gets synthetic rows it backs.",
            ""]


def _batch_section(result) -> list[str]:
    if not result.batch:
        return []
    return ["## Batch fidelity (kept rows vs real rows of the same region)", "",
            _table(["region", "check", "score", "threshold", "result", "detail"],
                   [[b["region"], b["gate"], b["score"], b["threshold"],
                     *(f"**{v}**" if v == "FAIL" else v for v in batch_verdict(b))]
                    for b in result.batch]),
            "",
            _batch_outcome(result.batch, result.gates["batch_on_fail"]), ""]


def _row_gate_sections(result) -> list[str]:
    out = []
    constraints = result.gates.get("details", {}).get("constraints")
    if constraints:
        out += ["## Constraints checked on every row", ""] + [f"- `{c}`" for c in constraints]
        out += [""]
    realism = [(r["id"], e) for r in result.regions
               for e in r.get("gate_reports", {}).get("realism", [])]
    if realism:
        def first(e, key):
            return e.get(key, (e.get("rounds") or [{}])[0].get(key, ""))

        out += ["## Realism check per round", "",
                _table(["region", "round", "acceptance", "reference", "real rows", "new rows",
                        "AUC before", "AUC kept (cut)", "kept", "note"],
                       [[rid, e.get("round"), e.get("acceptance", "cut"), e.get("reference"),
                         e.get("real_rows"), e.get("rows"), first(e, "auc_before"),
                         (e.get("rounds") or [{}])[-1].get("auc_kept", ""), e.get("kept", ""),
                         e.get("skipped", "")] for rid, e in realism]), "",
                "AUC: the check's own cross-fitted discriminator, candidates against the real "
                "rows (optimistic after gating: a fresh discriminator scores kept rows higher; "
                "see *What the gates did*).", ""]
    return out


def _labeler_section(result) -> list[str]:
    lab = result.labeler
    quality = lab["quality"]
    label = result.gates["params"].get("label", {})
    acc = quality.get("cv_balanced_accuracy")
    return [
        "## Labeler",
        "",
        f"`{lab['class']}` fitted on real rows only; parameters "
        f"`{ {k: v for k, v in lab['params'].items()} }`.",
        "",
        f"- Probabilities: {lab['probabilities']}.",
        f"- Cross-validated balanced accuracy on real rows: {acc}"
        + (f" (**weak**: below {quality['weak_threshold']})" if quality.get("weak") else "") + ".",
        f"- Label policy: `{label.get('policy', '-')}`, acceptance "
        f"`{label.get('acceptance', '-')}` (floor quantile {label.get('floor_quantile', '-')}, "
        f"min confidence {label.get('min_confidence', '-')}).",
        "- Out-of-fold ROC-AUC per class (how well it tells each class from the others): "
        + (", ".join(f"{k} {v}" for k, v in (quality.get("class_auc") or {}).items())
           or "n/a") + ".",
        f"- Stored version: `{lab.get('version') or 'not saved'}`.",
        "- Agreement with the class rows were generated for (all generated rows): "
        + (f"{result.consistency.get('agreement')}; per region "
           + ", ".join(f"{k} {v.get('agreement')}" for k, v in
                       result.consistency.get("by_region", {}).items())
           if result.consistency else "n/a") + ".",
        "",
        "```text",
        lab["model"].rstrip(),
        "```",
        "",
    ]


_TITLES = {"class_counts.png": "Class counts", "coverage.png": "Coverage per region",
           "discriminator_roc.png": "Discriminator ROC before and after gating",
           "marginals.png": "Marginals: real vs candidates vs kept rows",
           "rejection_reasons.png": "Rejection reasons", "loss_curve.png": "Loss curve",
           "label_confidence.png": "Label confidence"}


def _closing_sections(result, figures: list[str]) -> list[str]:
    return [
        "## Figures", "",
        *[f"![{_TITLES.get(f, f)}](figures/{f})" for f in figures], "",
        "## Seconds per stage", "",
        _table(["stage", "seconds"], [[k, v] for k, v in result.timings.items()]), "",
        "## Files", "",
        "- `augmented.parquet`: all real rows unchanged, then kept synthetic rows with "
        "`_synthetic`, `_weight`, `_label_confidence`, `_region`, `_generator`, `_round`, "
        "`_rule`.",
        "- `rejected.parquet`: every rejected or surplus row with `_reason` (first failed "
        "check; checks run cheapest first and stop there), `_reason_code` (that check's "
        "name, for `value_counts()`), `_reasons` (every failed check "
        "under `gate.check_all=true`) and `_score_<check>` (NaN for checks not reached).",
        "- `report.html`: this report as one self-contained page (figures embedded).",
        "- `manifest.json`: config, input SHA-256, versions, git commit, counts, fidelity, "
        "what the gates did, verdicts, timings (written last).",
        "",
        "Every synthetic row also carries `_score_<gate>` (each row gate's score), "
        "`_intended` and `_relabelled`; trace one: `python -m augment.monitor trace RUN ROW`.",
        ""]


def render_markdown(result, manifest: dict, figures: list[str]) -> str:
    """The report, section by section in the order a reader needs them."""
    out = [*_summary_section(result, manifest), *_coverage_section(result),
           *_batch_section(result), *_distortion_section(result),
           *_row_gate_sections(result), *_generator_section(result.generator),
           *_labeler_section(result), *_closing_sections(result, figures)]
    return "\n".join(out)
