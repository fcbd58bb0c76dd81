"""Labeler registry command line: ``python -m augment.labelers.registry list|show|diff``."""

from __future__ import annotations

import argparse
import json
import sys

from augment.errors import AugmentError
from augment.labelers._registry import (
    DEFAULT_REGISTRY,
    diff,
    format_diff,
    list_versions,
    read_record,
)

__all__ = ["main"]


def _source(row: dict) -> str:
    """``from pima.csv (target type, 200 rows) in run outputs/...``, as much as is known."""
    src = row.get("source") or {}
    detail = ", ".join(x for x in (f"target {src['target']}" if src.get("target") else "",
                                   f"{src['rows']} rows" if src.get("rows") else "") if x)
    text = f"from {src.get('data') or 'unknown data'}" + (f" ({detail})" if detail else "")
    return text + (f" in run {src['run']}" if src.get("run") else "")


def main(argv: list[str] | None = None) -> int:
    """List stored labeler versions, show one, or show what changed between two."""
    parser = argparse.ArgumentParser(prog="python -m augment.labelers.registry",
                                     description=main.__doc__)
    parser.add_argument("--registry", default=DEFAULT_REGISTRY, help="registry folder")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every stored version, oldest first")
    show = sub.add_parser("show", help="one version: params, quality, model text")
    show.add_argument("version")
    show.add_argument("--json", action="store_true", help="the whole stored record")
    d = sub.add_parser("diff", help="what changed from version A to version B")
    d.add_argument("a")
    d.add_argument("b")
    args = parser.parse_args(argv)
    try:
        if args.command == "list":
            rows = list_versions(args.registry)
            if not rows:
                print(f"no labeler versions in {args.registry}")
            for r in rows:
                print(f"{r['version']:<28} {r['created']}  {_source(r)}"
                      f"  data sha256 {r['training_data_sha256'][:12]}"
                      f"  cv_bal_acc {r['cv_balanced_accuracy']}  brier {r['brier']}"
                      f"  ece {r['ece']}")
        elif args.command == "show":
            rec = read_record(args.version, args.registry)
            if args.json:
                print(json.dumps(rec, indent=1))
            else:
                print(f"version {rec['version']} ({rec['class']}), created {rec['created']}")
                print(f"training data sha256 {rec['training_data_sha256']}")
                print(f"content sha256 {rec['content_sha256']}")
                print(f"params {json.dumps(rec['params'])}")
                print(f"quality {json.dumps(rec['quality'])}")
                print(rec["text"])
        else:
            print(format_diff(diff(args.a, args.b, args.registry)))
    except AugmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
