"""Regenerate the benchmark docs (``docs/bench_*.md``, ``docs/benchmarks.md``) from today's code.

Each doc has one reproducer below: the exact ``scripts/`` commands (and arguments) its
numbers came from, run in order, with every thread pool pinned to one thread. A full
run writes into ``docs/`` (and the CSV / JSON / PNG files beside each doc); ``--quick``
runs every reproducer on tiny settings into a temporary folder, as a smoke test of the
scripts, and leaves ``docs/`` alone.

    python scripts/reproduce_docs.py --list                   # docs, commands, rough cost
    python scripts/reproduce_docs.py --quick                  # every script, tiny, temp folder
    python scripts/reproduce_docs.py --only bench_gates       # regenerate one doc (full)
    python scripts/reproduce_docs.py                          # regenerate them all (hours)

Every doc a script writes starts with the stamp of :mod:`_docstamp` (commit, exact
command, date). ``--quick --keep DIR`` keeps the quick outputs in ``DIR``.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Every pool one thread: the machine is shared, and timings are comparable across docs.
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")}


@dataclass(frozen=True)
class Reproducer:
    """How one doc is produced.

    ``full`` and ``quick``: command lines, each a script under ``scripts/`` and its
    arguments (shell quoting); ``{out}`` in a quick command is the temporary folder.
    ``fresh``: files a full run deletes first (caches a script would otherwise resume
    from). ``minutes``: rough cost of the full run on the 2-core machine, one thread.
    """

    doc: str
    minutes: float
    full: tuple[str, ...]
    quick: tuple[str, ...]
    fresh: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return Path(self.doc).stem


REPRODUCERS = [
    Reproducer(
        "docs/benchmarks.md", 45,
        full=("benchmark.py --out outputs/benchmark --seeds 0 1 2 --jobs 1 "
              "--doc docs/benchmarks.md",),
        quick=("benchmark.py --out {out}/benchmark --seeds 0 --datasets mlc_churn "
               "--models logistic --max-rows 800 --jobs 1 --doc {out}/benchmarks.md",),
        fresh=("outputs/benchmark",)),
    Reproducer(
        "docs/bench_conditioning.md", 3,
        full=("bench_conditioning.py --rows 3000 --out docs/bench_conditioning.md",),
        quick=("bench_conditioning.py --rows 200 --out {out}/bench_conditioning.md",)),
    Reproducer(
        "docs/bench_faithful.md", 15,
        full=("bench_faithful.py",),
        quick=("bench_faithful.py --seeds 0 --tables Arrests --noise-tables Default "
               "--settings 'smote, default gates' "
               "--noise-settings 'arf (default pathway), default gates' --max-rows 1500 "
               "--out {out}/bench_faithful.md",)),
    Reproducer(
        "docs/bench_fidelity.md", 180,
        full=("bench_fidelity.py --arf-scale",
              "bench_fidelity.py --arf-leaf 10 20 --arf-alpha 0 --arf-target 0.9",
              "bench_fidelity.py --more-seeds 3 4 5 6 7 8 9 10 11 12 13 14"),
        quick=("bench_fidelity.py --quick --tables pima --pathways gaussian_copula smote "
               "--csv {out}/bench_fidelity.csv --md {out}/bench_fidelity.md",),
        fresh=("docs/bench_fidelity.csv", "docs/bench_fidelity.arf_leaf.csv",
               "docs/bench_fidelity.arf_alpha.csv", "docs/bench_fidelity.arf_target.csv",
               "docs/bench_fidelity.seeds.csv",
               "docs/bench_fidelity.scale.json")),
    Reproducer(
        "docs/bench_fit_on.md", 8,
        full=("bench_fit_on.py --seeds 0 1 2 --out docs/bench_fit_on.md",),
        quick=("bench_fit_on.py --seeds 0 --tables Default --out {out}/bench_fit_on.md",)),
    Reproducer(
        "docs/bench_gates.md", 10,
        full=("bench_gates.py --realism 'default,p<0.5,auc0.7x1,auc0.7x2' --ctgan-epochs 100",),
        quick=("bench_gates.py --quick --tables credit --realism default "
               "--out {out}/bench_gates.md",)),
    Reproducer(
        "docs/bench_label_noise.md", 45,
        full=("bench_label_noise.py", "bench_label_noise.py --flip 0.05",
              "bench_label_noise.py --frontier", "bench_label_noise.py --frontier --flip 0.05"),
        quick=("bench_label_noise.py --tables Default --methods 'smote intended' "
               "--max-rows 1500 --out {out}/bench_label_noise.md "
               "--figure {out}/bench_label_noise_coverage.png",)),
    Reproducer(
        "docs/bench_scale.md", 12,
        full=("bench_scale.py --sizes 10000 100000 1000000 --out docs/bench_scale.json "
              "--doc docs/bench_scale.md",),
        quick=("bench_scale.py --sizes 2000 --no-write --out {out}/bench_scale.json "
               "--doc {out}/bench_scale.md",)),
    Reproducer(
        "docs/bench_targeting.md", 60,
        full=("bench_targeting.py --epochs 20 --rows 500 --finetune-steps 100 30 300 --plain "
              "--datasets lending_club credit_data --cache outputs/bench_targeting "
              "--out docs/bench_targeting.md",),
        quick=("bench_targeting.py --epochs 1 --rows 20 --finetune-steps 2 "
               "--datasets credit_data --models tvae --regions rare-0 "
               "--out {out}/bench_targeting.md",),
        fresh=("outputs/bench_targeting",)),
    Reproducer(
        "docs/bench_thin.md", 25,
        full=("bench_thin.py --force --variants default declared declared_intended "
              "declared_copula declared_perturbation declared_smote",),
        quick=("bench_thin.py --tables Pima --seeds 0 --models logistic "
               "--variants default declared --out {out}/bench_thin --doc {out}/bench_thin.md",)),
]


def _argv(command: str, out: str) -> list[str]:
    script, *args = shlex.split(command)
    return [sys.executable, str(ROOT / "scripts" / script), *(a.format(out=out) for a in args)]


def show(command: str) -> str:
    """A command as a user types it from the repository root."""
    return f"python scripts/{command}"


def run(reproducer: Reproducer, quick: bool, out: Path) -> float:
    """Run one reproducer's commands in order; the seconds it took. Raises on a failure."""
    env = {**os.environ, **ONE_THREAD, "PYTHONWARNINGS": "ignore"}
    if not quick:
        for path in reproducer.fresh:
            target = ROOT / path
            shutil.rmtree(target) if target.is_dir() else target.unlink(missing_ok=True)
    start = time.perf_counter()
    for command in reproducer.quick if quick else reproducer.full:
        print(f"[{reproducer.name}] {show(command)}", flush=True)
        subprocess.run(_argv(command, str(out)), cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list docs, commands and costs")
    parser.add_argument("--quick", action="store_true",
                        help="tiny settings into a temporary folder (docs/ untouched)")
    parser.add_argument("--only", nargs="+", default=None, metavar="NAME",
                        help="doc names (e.g. bench_gates benchmarks)")
    parser.add_argument("--keep", type=Path, default=None,
                        help="with --quick: write into this folder and keep it")
    args = parser.parse_args(argv)
    known = {r.name: r for r in REPRODUCERS}
    unknown = sorted(set(args.only or ()) - set(known))
    if unknown:
        parser.error(f"unknown doc(s) {unknown}; expected some of {sorted(known)}")
    chosen = [known[n] for n in args.only] if args.only else REPRODUCERS
    if args.list:
        for r in chosen:
            print(f"{r.name}\t{r.doc}\t~{r.minutes:g} min")
            for command in r.full:
                print(f"    {show(command)}")
        return 0
    if args.quick:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="reproduce_docs_"))
        folder.mkdir(parents=True, exist_ok=True)
    else:
        folder = ROOT / "docs"
    failed = []
    for r in chosen:
        try:
            seconds = run(r, args.quick, folder)
            print(f"[{r.name}] done in {seconds / 60:.1f} min", flush=True)
        except subprocess.CalledProcessError as exc:
            failed.append(r.name)
            print(f"[{r.name}] FAILED (exit {exc.returncode})", file=sys.stderr, flush=True)
    if args.quick and args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
