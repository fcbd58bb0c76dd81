"""The stamp every generated doc carries at its top: commit, exact command, date.

Every ``scripts/bench_*.py`` (and ``scripts/benchmark.py``) writes its doc through
:func:`stamp`, so a reader of ``docs/`` can tell which code and which configuration
produced the numbers, and ``scripts/reproduce_docs.py`` can tell which docs are stale.

    >>> line = stamp(["--rows", "300"], script="scripts/bench_conditioning.py")
    >>> line.startswith("Produced by `python scripts/bench_conditioning.py --rows 300` at commit")
    True
"""

from __future__ import annotations

import datetime
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Environment variables that change what a benchmark measures (threads), kept in the command.
STAMPED_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def commit() -> str:
    """Short HEAD, with ``+dirty`` when tracked files outside ``docs/`` differ from it.

    Edits under ``docs/`` (what the benchmarks write) do not make a run dirty. A run
    from an export of a commit (``git archive``, so that editing the checkout cannot
    change a long run midway) names it with ``DOCSTAMP_COMMIT``. ``unknown`` outside a
    git checkout otherwise.
    """
    if os.environ.get("DOCSTAMP_COMMIT"):
        return os.environ["DOCSTAMP_COMMIT"]
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, text=True, capture_output=True,
                              check=True).stdout.strip()

    try:
        sha = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!docs")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return sha + ("+dirty" if dirty else "")


def command(argv: list[str] | None = None, script: str | None = None) -> str:
    """The command line that ran, as a user would type it from the repository root."""
    argv = sys.argv[1:] if argv is None else list(argv)
    script = script or os.path.relpath(Path(sys.argv[0]).resolve(), ROOT)
    env = [f"{k}={os.environ[k]}" for k in STAMPED_ENV if k in os.environ]
    return shlex.join([*env, "python", script, *argv])


def stamp(argv: list[str] | None = None, script: str | None = None,
          computed_at: str | None = None) -> str:
    """``Produced by `<command>` at commit `<sha>` on <date> UTC.`` (one markdown line).

    ``computed_at``: where cached or merged results came from other commits, say so
    (``"results computed at ..."``); it is appended in parentheses.
    """
    now = datetime.datetime.now(datetime.UTC)
    text = (f"Produced by `{command(argv, script)}` at commit `{commit()}` on "
            f"{now:%Y-%m-%d %H:%M} UTC")
    return text + (f" ({computed_at})." if computed_at else ".")
