"""Writing a run directory so that a failed run never looks complete."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from augment._threads import thread_limit
from augment.report._figures import make_figures
from augment.report._html import render_html
from augment.report._manifest import build_manifest, sha256_file
from augment.report._markdown import render_markdown
from augment.report._provenance import provenance
from augment.report._regions import region_section

__all__ = ["MANIFEST", "write_run"]

MANIFEST = "manifest.json"
_STAGING = ".augment-partial"


def _json_default(value):
    if hasattr(value, "item"):
        return value.item()
    return str(value)


def write_run(result, run_dir: str | Path, *, input_info: dict, seed=None,
              config: dict | None = None, metrics: dict | None = None,
              threads: int | None = None) -> Path:
    """Write ``augmented.parquet``, ``rejected.parquet``, ``figures/``, ``report.md``,
    ``metrics.json`` (when evaluation ran) and ``manifest.json``.

    Files are written to a staging folder first and moved into ``run_dir`` at the
    end, ``manifest.json`` last; a stale manifest from an earlier run in the same
    folder is removed before anything else. Returns the manifest path.

    ``threads``: threads of every BLAS, OpenMP and torch pool while the figures fit
    their discriminators (:func:`augment._threads.thread_limit`, restored afterwards);
    ``None`` (default) leaves them to the caller's limit (the CLI writes under the
    run's ``threads``; called on its own, the libraries' defaults).
    """
    with thread_limit(threads):  # a bad setting: ConfigError before anything is touched
        return _write_run(result, Path(run_dir), input_info=input_info, seed=seed,
                          config=config, metrics=metrics)


def _write_run(result, run_dir: Path, *, input_info: dict, seed, config: dict | None,
               metrics: dict | None) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / MANIFEST).unlink(missing_ok=True)
    (run_dir / "metrics.json").unlink(missing_ok=True)
    staging = run_dir / _STAGING
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        result.augmented.to_parquet(staging / "augmented.parquet", index=False)
        result.rejected_rows.write(staging / "rejected.parquet")
        figures = make_figures(result, staging / "figures", random_state=seed)
        outputs = ["augmented.parquet", "rejected.parquet"]
        if metrics is not None:
            (staging / "metrics.json").write_text(json.dumps(metrics, indent=2,
                                                             default=_json_default))
            outputs.append("metrics.json")
        files = {name: sha256_file(staging / name) for name in outputs}
        manifest = build_manifest(result, config=config, input_info=input_info, seed=seed,
                                  files=files)
        manifest["provenance"] = provenance(result.generator)
        markdown = render_markdown(result, manifest, figures)
        markdown += "\n".join(["", *region_section(metrics)])
        (staging / "report.md").write_text(markdown, encoding="utf-8")
        (staging / "report.html").write_text(render_html(markdown, staging), encoding="utf-8")
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, default=_json_default))
        for name in [*outputs, "report.md", "report.html"]:
            os.replace(staging / name, run_dir / name)
        shutil.rmtree(run_dir / "figures", ignore_errors=True)
        os.replace(staging / "figures", run_dir / "figures")
        os.replace(staging / MANIFEST, run_dir / MANIFEST)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return run_dir / MANIFEST
