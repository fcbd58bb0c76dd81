"""The one place that pins threads: BLAS, OpenMP and torch, for a block, restored after it.

The rule: one setting, ``threads``. The :class:`~augment.Augmenter` and the CLI own it
(default 1) and run everything they call under :func:`thread_limit`. The public entry
points that users also call on their own take ``threads=None`` and apply
:func:`thread_limit` themselves: ``None`` (default) leaves threads to the caller's limit
(inside a run, the run's setting; on its own, the libraries' defaults), an integer pins
their own work and restores the caller's state afterwards. They are: the deep generators
(``n_threads``), :func:`~augment.gates.two_sample_scores` /
:func:`~augment.gates.two_sample_auc` / :class:`~augment.gates.TwoSampleGate`, the row
gates that fit models (:class:`~augment.gates.RealismGate`,
:class:`~augment.gates.ClassCheckGate`), :class:`~augment.evaluate.Evaluation` and
:func:`~augment.report.write_run`. Other components (labelers, arf, the copula) run under
the caller's limit only. A component never pins threads of its own by default: that
would override the run's setting.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import sys
from collections.abc import Iterator

__all__ = ["THREAD_VARIABLES", "thread_limit", "threads_problems"]

#: Read by OpenMP / BLAS runtimes (and torch) when they start inside the block.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def threads_problems(threads) -> list[str]:
    """Why ``threads`` is not a valid setting (an integer >= 1, or None), if it is not."""
    if threads is None or (isinstance(threads, numbers.Integral)
                           and not isinstance(threads, bool) and threads >= 1):
        return []
    return [f"threads must be an integer >= 1 or null; got {threads!r}. Fix: threads=1 (fastest "
            "on a shared machine and in sweeps) or threads=null (the libraries' defaults)."]


@contextlib.contextmanager
def thread_limit(threads: int | None) -> Iterator[None]:
    """Run the block with at most ``threads`` threads in every pool augment's libraries use.

    - BLAS and OpenMP pools already loaded (numpy, scikit-learn's gradient boosting,
      ...) through :func:`threadpoolctl.threadpool_limits`;
    - runtimes that start inside the block through ``OMP_NUM_THREADS``,
      ``OPENBLAS_NUM_THREADS`` and ``MKL_NUM_THREADS``;
    - torch's CPU threads (``torch.set_num_threads``) when torch is already imported
      (augment does not import it for this).

    Everything set here is restored on exit, also after an error, for the pools (and
    torch) loaded on entry. A pool first loaded inside the block (an OpenMP or BLAS
    runtime, or torch first imported there) read the limit when it started and keeps it
    after the block: e.g. ``import torch`` first done inside ``Augmenter(threads=1)``
    leaves torch on one thread; call ``torch.set_num_threads`` (or import torch before)
    to choose otherwise. ``None`` leaves every pool as it is: the caller's limit, or the
    libraries' defaults (usually one thread per core).

    Measured on a busy 2-core machine, one OpenMP thread made gradient boosting 5-100x
    faster than the default (docs/bench_gates.md); sweep jobs running side by side need
    one each.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> with thread_limit(1):
    ...     all(pool["num_threads"] == 1 for pool in threadpool_info())
    True
    """
    problems = threads_problems(threads)
    if problems:
        from augment.errors import ConfigError

        raise ConfigError(problems[0])
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    n = int(threads)
    saved_env = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    torch = sys.modules.get("torch")
    torch_threads = torch.get_num_threads() if torch is not None else None
    try:
        os.environ.update({name: str(n) for name in THREAD_VARIABLES})
        if torch is not None:
            torch.set_num_threads(n)
        with threadpool_limits(limits=n):
            yield
    finally:
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if torch is not None:
            torch.set_num_threads(torch_threads)
