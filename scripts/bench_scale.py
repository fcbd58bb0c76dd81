"""How the cost of profile, generate, label, gates and assemble grows with the table size.

Each size runs in its own process (so its peak memory is its own): the embedded
``lending_club`` table is resampled with replacement to ``n`` rows, float columns
get small Gaussian noise (1% of their standard deviation, clipped to the observed
range), and the whole pipeline runs with the default generator (or ``--generator``)
and the default gates. Reported per size: seconds per stage, total seconds, seconds to write
the run folder (report, figures, ``rejected.parquet``; ``--no-write`` skips it) and
peak RSS.

Usage::

    python scripts/bench_scale.py --sizes 10000 100000 1000000 --out docs/bench_scale.json \
        --doc docs/bench_scale.md                          # the doc (1M: the 1M-row goal)
    python scripts/bench_scale.py --sizes 2000 --no-write  # seconds
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from _docstamp import stamp


def build_table(n: int, seed: int = 0):
    """``lending_club`` resampled to ``n`` rows with small noise on float columns."""
    import numpy as np

    from augment.data import load_default

    df, target = load_default()
    rng = np.random.default_rng(seed)
    out = df.iloc[rng.integers(0, len(df), n)].reset_index(drop=True)
    for name in out.columns:
        col = out[name]
        if name != target and col.dtype.kind == "f" and not (col.dropna() % 1 == 0).all():
            noise = rng.normal(0, 0.01 * col.std(), n)
            out[name] = (col + noise).clip(col.min(), col.max())
    return out, target


def run_one(n: int, generator: str, seed: int, write: bool = True) -> dict:
    """Time every stage on an ``n``-row table (and writing its run folder, unless
    ``write`` is false); return a JSON-ready dict."""
    import shutil
    import tempfile

    from augment import Augmenter
    from augment.report import write_run

    cpu_start = time.process_time()
    start = time.perf_counter()
    table, target = build_table(n, seed)
    build = time.perf_counter() - start

    start = time.perf_counter()
    aug = Augmenter(generator=generator, random_state=seed, progress=False).fit_table(table,
                                                                                        target)
    total = time.perf_counter() - start
    counts = aug.result_.counts()
    t = aug.result_.timings
    written = {}
    if write:
        folder = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        try:
            start = time.perf_counter()
            write_run(aug.result_, folder / "run", input_info={
                "name": f"lending_club x{n}", "rows": n, "sha256": "-" * 64})
            written = {"write_s": round(time.perf_counter() - start, 2),
                       "rejected_parquet_mib": round(
                           (folder / "run" / "rejected.parquet").stat().st_size / 2**20, 1)}
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    gates = sum(v for k, v in t.items() if k.startswith("fit_gate_")) + t["gate"] + t[
        "batch_checks"]
    return {
        "rows": n, "columns": len(table.columns), "generator": generator,
        "build_table_s": round(build, 2), "profile_s": t["profile"],
        "sub_regions": sum(r["kind"] != "class" for r in aug.result_.regions),
        "requested": counts["requested"],
        "generated": counts["generated"], "kept": counts["kept"],
        "rejected": counts["rejected"], "rejected_spilled": aug.result_.rejected_rows.spilled,
        **written,
        "shortfall": sum(r["shortfall"] for r in aug.result_.regions),
        "warnings": aug.result_.warnings,
        "timings_s": t, "gates_s": round(gates, 2), "pipeline_s": round(total, 2),
        "cpu_s": round(time.process_time() - cpu_start, 1),
        "load_average": [round(x, 2) for x in __import__("os").getloadavg()],
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _markdown(rows: list[dict]) -> str:
    head = ("| rows | requested | generated | kept | profile s | fit generator s | "
            "fit labeler s | generate s | label s | gates s (row + batch) | assemble s | "
            "profile + gates + assemble s | pipeline s | write run s | process CPU s | "
            "peak RSS MiB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        t = r["timings_s"]
        goal = round(r["profile_s"] + r["gates_s"] + t["assemble"], 1)
        lines.append(f"| {r['rows']:,} | {r['requested']:,} | {r['generated']:,} | "
                     f"{r['kept']:,} | {r['profile_s']} | {t['fit_generator']} | "
                     f"{t['fit_labeler']} | {t['generate']} | {t['label']} | {r['gates_s']} | "
                     f"{t['assemble']} | {goal} | {r['pipeline_s']} | {r.get('write_s', '-')} | "
                     f"{r.get('cpu_s', '-')} | "
                     f"{r['peak_rss_mib']} |")
    checks = sorted({k for r in rows for k in r["timings_s"] if k.startswith("check_")})
    if checks:
        lines += ["", "Row-gate seconds (all rounds):", "",
                  "| rows | " + " | ".join(c.removeprefix("check_") for c in checks) + " |",
                  "|---|" + "---|" * len(checks)]
        lines += [f"| {r['rows']:,} | " + " | ".join(str(r["timings_s"].get(c, "-"))
                                                    for c in checks) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--generator", default=None,
                        help="default: the Augmenter's default generator")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="JSON file for the results")
    parser.add_argument("--no-write", action="store_true",
                        help="skip writing the run folder (report, parquet files)")
    parser.add_argument("--doc", type=Path, default=None,
                        help="also write the markdown doc here (e.g. docs/bench_scale.md)")
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.generator is None:
        from augment import Augmenter

        args.generator = Augmenter().generator
    if args.one is not None:
        print(json.dumps(run_one(args.one, args.generator, args.seed, not args.no_write)))
        return 0
    rows = []
    for n in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(n), "--generator",
                               args.generator, "--seed", str(args.seed),
                               *(["--no-write"] if args.no_write else [])],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"size {n} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            return 1
        rows.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
        if args.out:
            args.out.write_text(json.dumps(rows, indent=1))
    print(_markdown(rows))
    if args.doc:
        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(document(rows, stamp(argv)))
    return 0


def document(rows: list[dict], stamped: str) -> str:
    """The doc: what ran, the cost per size, and every warning the runs raised."""
    generator = rows[0]["generator"] if rows else "?"
    lines = [
        "# Scale: how the cost grows with the table (issue 7)", "", stamped, "",
        "Each size runs in a fresh process: the embedded `lending_club` table (9,857 rows, 22 "
        "features + `Class`) is resampled with replacement to *n* rows, float columns get 1% "
        "Gaussian noise (clipped to the observed range), and the full pipeline runs with the "
        f"**default configuration** (generator `{generator}`, default labeler, row gates and "
        "batch checks, `sampling_strategy=auto`, so the synthetic rows requested grow with "
        "*n*). Times are wall seconds on a shared 2-core machine, every thread pool on one "
        "thread; \"process CPU\" is user + system CPU of the whole process; peak RSS is the "
        "process's maximum resident memory; \"write run\" writes the run folder (report, "
        "figures, `rejected.parquet`). Goal (issue 7): 1M rows through profile, gates and "
        "assemble in under 10 minutes and 8 GiB.", "",
        _markdown(rows), "",
        "Load average at the end of each size: " + "; ".join(
            f"{r['rows']:,}: {', '.join(map(str, r.get('load_average', [])))}" for r in rows)
        + ".", "",
        "## Warnings and shortfalls", "",
    ]
    for r in rows:
        lines.append(f"- {r['rows']:,} rows: shortfall {r['shortfall']:,} of "
                     f"{r['requested']:,} requested rows; {len(r['warnings'])} warning(s)"
                     + (":" if r["warnings"] else "."))
        lines += [f"  - {w}" for w in r["warnings"]]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
