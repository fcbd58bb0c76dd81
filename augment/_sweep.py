"""A Hydra callback that makes a sweep with failed jobs exit non-zero, saying which and why."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

__all__ = ["SweepFailures", "sweep_failures"]

#: Set by :class:`SweepFailures` when a sweep ends with failed jobs; read by ``augment.cli.main``.
FAILED: list[dict] = []


def sweep_failures(sweep_dir: str | Path, since: float = 0.0) -> tuple[int, list[dict]]:
    """(jobs finished, failed jobs) under ``sweep_dir``, counting outputs written after ``since``.

    A job wrote ``manifest.json`` (done) or ``error.json`` (failed, with the error
    and the job's overrides).
    """
    root = Path(sweep_dir)
    done = [p for p in root.rglob("manifest.json") if p.stat().st_mtime >= since]
    failed = []
    for path in sorted(root.rglob("error.json")):
        if path.stat().st_mtime < since:
            continue
        try:
            info = json.loads(path.read_text())
        except (OSError, ValueError):
            info = {}
        failed.append({"dir": str(path.parent), "overrides": info.get("overrides", []),
                       "error": str(info.get("error", "unknown error")).splitlines()[0]})
    return len(done) + len(failed), failed


class SweepFailures(Callback):
    """After a ``--multirun`` sweep: list the jobs that wrote ``error.json`` on stderr."""

    def on_multirun_start(self, config: Any, **kwargs: Any) -> None:
        self._start = time.time() - 1.0
        FAILED.clear()

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        total, failed = sweep_failures(config.hydra.sweep.dir, getattr(self, "_start", 0.0))
        if not failed:
            return
        FAILED.extend(failed)
        lines = [f"augment: {len(failed)} of {total} sweep jobs failed:"]
        for job in failed:
            lines.append(f"  {' '.join(job['overrides']) or job['dir']}: {job['error']}")
            lines.append(f"    (details: {job['dir']}/error.json)")
        print("\n".join(lines), file=sys.stderr)
