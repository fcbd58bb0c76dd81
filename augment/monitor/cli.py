"""``python -m augment.monitor compare|labelers|trace``: drift checks and row traces.

Exit status: 0 clean, 1 a threshold was breached (quality and fidelity numbers
only when they got worse), 2 bad input (missing run directory, no manifest, runs
on different tables, unknown labeler version, bad thresholds file).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from augment.errors import AugmentError

__all__ = ["main"]

EXIT_CLEAN, EXIT_BREACH, EXIT_BAD_INPUT = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m augment.monitor",
                                     description="Compare augment runs and trace their rows.")
    sub = parser.add_subparsers(dest="command", required=True)
    compare = sub.add_parser("compare", help="compare run B with the baseline run A")
    compare.add_argument("run_a", help="baseline run directory")
    compare.add_argument("run_b", help="new run directory")
    labelers = sub.add_parser("labelers", help="compare two stored labeler versions")
    labelers.add_argument("version_a")
    labelers.add_argument("version_b")
    labelers.add_argument("--probe", required=True,
                          help="a run directory (its synthetic rows) or a CSV/Parquet table")
    for p in (compare, labelers):
        p.add_argument("--config", help="thresholds YAML (default conf/monitor/default.yaml)")
        p.add_argument("--out", help="folder for monitor.md, moved.png, monitor.json "
                       "(default outputs/monitor/<A>-vs-<B>)")
        p.add_argument("--registry", help="labeler registry (default: the runs' own)")
        p.add_argument("--seed", type=int, default=None,
                       help="seed of the probe-row sample (default: the baseline run's seed; "
                       "labelers: 0)")
    labelers.set_defaults(registry="outputs/labelers")
    trace = sub.add_parser("trace", help="where one row of augmented.parquet came from")
    trace.add_argument("run_dir")
    trace.add_argument("row", type=int, help="0-based row position in augmented.parquet")
    trace.add_argument("--json", action="store_true", help="print the trace as JSON")
    return parser


def _probe(path: str):
    from augment.data import read_table
    from augment.monitor._run import load_run

    return load_run(path).synthetic if Path(path).is_dir() else read_table(path)


def _report(comparison, out: str | None) -> int:
    from augment.monitor._summary import write_summary

    def safe(s):
        return ("".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in s))
    out_dir = Path(out) if out else Path("outputs/monitor") / (
        f"{safe(comparison.a)}-vs-{safe(comparison.b)}")
    summary = write_summary(comparison, out_dir)
    for note in comparison.notes:
        print(f"note: {note}", file=sys.stderr)
    if comparison.breaches:
        print(f"monitor: {len(comparison.breaches)} breach(es), {comparison.b} against "
              f"baseline {comparison.a}:", file=sys.stderr)
        for change in comparison.breaches:
            print(f"  BREACH {change.describe()}", file=sys.stderr)
        print(f"summary: {summary}", file=sys.stderr)
        return EXIT_BREACH
    print(f"monitor: clean, {comparison.b} against baseline {comparison.a} "
          f"({len(comparison.moved)} quantities moved within their limits); summary: {summary}")
    return EXIT_CLEAN


def main(argv: list[str] | None = None) -> int:
    """Run the monitor command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "trace":
            from augment.report._audit import format_trace, trace_row

            trace = trace_row(args.run_dir, args.row)
            print(json.dumps(trace, indent=1, default=str) if args.json else format_trace(trace))
            return EXIT_CLEAN
        from augment.monitor._compare import compare_labelers, compare_runs
        from augment.monitor._run import load_run
        from augment.monitor._thresholds import load_thresholds

        thresholds = load_thresholds(args.config)
        if args.command == "compare":
            comparison = compare_runs(load_run(args.run_a), load_run(args.run_b), thresholds,
                                      args.registry, random_state=args.seed)
        else:
            comparison = compare_labelers(args.version_a, args.version_b, args.registry,
                                          _probe(args.probe), thresholds,
                                          random_state=0 if args.seed is None else args.seed)
        return _report(comparison, args.out)
    except AugmentError as exc:
        print(f"augment monitor: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


def console_main() -> None:
    """Console-script entry point (``augment-monitor``)."""
    raise SystemExit(main())


if __name__ == "__main__":
    console_main()
