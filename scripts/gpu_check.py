"""Run the deep generators (CTGAN, TVAE, CopulaGAN) on one device and check what they do there.

Written for a CUDA machine (``--device cuda``); ``--device cpu`` runs the same checks on
the CPU. Every check is recorded in ``results.json`` (rewritten after each check) and
the log in ``gpu_check.log``, both under ``--out``; the exit status is 1 when a check
fails. docs/gpu_check.md reports a run on an H100.

Checks:

fit
    Each generator fits ``lending_club`` subsampled to ``--rows`` rows for ``--epochs``
    epochs, then samples a class region (``Class == bad``) and a sub-class region
    (``bad``, ``term == term_60``, ``int_rate >= 16``) with per-region fine-tuning
    (``--finetune-steps``) and constrained decoding. Passes when every torch module
    of the trained model and of the fine-tuned copies is on the device, every row is
    inside its region, and the acceptance record says fine-tuning and constrained
    decoding ran.
pickle
    Each fitted generator, pickled in this process, is loaded and sampled in a process
    that sees no GPU (``CUDA_VISIBLE_DEVICES=""``), and loaded here (back on the
    device). With ``--device cuda`` plain ctgan's own CTGAN is put through the same
    (an upstream bug: recorded, not failed).
determinism
    CTGAN and TVAE fitted again with the same seed give the same loss curve and the
    same rows as in ``fit``. If not, how far they differ is recorded and the check is
    rerun in a fresh process with ``torch.use_deterministic_algorithms(True)``.
timing
    CTGAN fitted on the whole table (``--timing-epochs`` epochs, its epoch times
    recorded); then its training loop (fresh networks, the fit's transformed matrix:
    SDV's and ctgan's preprocessing, the same on every device, is done once) timed on
    the device, on the CPU with ``--cpu-threads`` threads and with 1 thread, on the
    whole table and resampled to ``--timing-rows`` rows: seconds of every epoch and
    epochs per second after the first. Runs last, alone.
cli
    ``python -m augment.cli generator=ctgan generator.epochs=5`` on the device (started
    in the background first, beside the correctness checks) writes its run directory
    (under /tmp) with a manifest, and the generator ran on the device.

Usage::

    python scripts/gpu_check.py --device cuda --out /tmp/gpu_check
    python scripts/gpu_check.py --device cpu --quick        # small, on a laptop
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import pickle
import platform
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ("fit", "pickle", "determinism", "timing", "cli")
KINDS = ("ctgan", "tvae", "copulagan")


def log(*parts) -> None:
    print(f"[{time.strftime('%H:%M:%S')}]", *parts, flush=True)


# -- data and generators ---------------------------------------------------------------


def load_table(rows: int | None, seed: int = 0):
    """``lending_club``: subsampled (rows < its size) or resampled with replacement."""
    import numpy as np

    from augment.data import load_default

    df, target = load_default()
    if rows is not None and rows < len(df):
        df = df.sample(rows, random_state=seed)
    elif rows is not None and rows > len(df):
        df = df.iloc[np.random.default_rng(seed).integers(0, len(df), rows)]
    return df.reset_index(drop=True), target


def regions_of(df, target):
    from augment.data import detect_schema
    from augment.profile import Region, find_class_regions

    schema = detect_schema(df, target)
    cls = next(r for r in find_class_regions(df[target], schema, "auto") if r.label == "bad")
    rule = {"categories": {"term": {"term_60"}}, "ranges": {"int_rate": (16.0, None)}}
    mask = (df[target] == "bad") & (df.term == "term_60") & (df.int_rate >= 16.0)
    sub = Region(id="class=bad/term_60-high-rate", target_column=target, label="bad",
                 description=Region.describe(target, "bad", rule["categories"],
                                             rule["ranges"]),
                 count=int(mask.sum()), target=int(mask.sum()) + 100, kind="sparse", **rule)
    return schema, cls, sub


def make(kind: str, device: str, epochs: int, finetune_steps: int, threads: int | None = 1,
         seed: int = 0, **kw):
    from augment.generators import CopulaGANGenerator, CTGANGenerator, TVAEGenerator

    cls = {"ctgan": CTGANGenerator, "tvae": TVAEGenerator, "copulagan": CopulaGANGenerator}[kind]
    return cls(epochs=epochs, batch_size=500, enable_gpu=device == "cuda", n_threads=threads,
               finetune_steps=finetune_steps, constrain=True, progress=False,
               random_state=seed, **kw)


def module_devices(model) -> dict:
    """Per torch module the model holds: the device types of its parameters."""
    import torch

    return {k: sorted({p.device.type for p in v.parameters()})
            for k, v in vars(model).items() if isinstance(v, torch.nn.Module)}


def frame_diff(a, b) -> dict:
    """How far two frames of generated rows differ."""
    import numpy as np

    if a.shape != b.shape or list(a.columns) != list(b.columns):
        return {"same_shape": False, "shapes": [list(a.shape), list(b.shape)]}
    same = (a.astype(str).to_numpy() == b.astype(str).to_numpy())
    numeric = [c for c in a.columns if a[c].dtype.kind in "if" and b[c].dtype.kind in "if"]
    diff = max((float(np.nanmax(np.abs(a[c].to_numpy(float) - b[c].to_numpy(float))))
                for c in numeric), default=0.0)
    return {"same_shape": True, "identical_cells": round(float(same.mean()), 6),
            "identical_rows": round(float(same.all(axis=1).mean()), 6),
            "max_abs_numeric_diff": diff}


# -- checks ------------------------------------------------------------------------------


def check_fit(args, state) -> dict:
    df, target = load_table(args.rows)
    schema, cls, sub = regions_of(df, target)
    state.update(df=df, target=target, schema=schema, cls=cls, sub=sub, fitted={}, rows={})
    out = {"rows": len(df), "regions": {cls.id: cls.count, sub.id: sub.count}, "kinds": {}}
    ok = True
    for kind in args.kinds:
        rec, problems = {}, []
        out["kinds"][kind] = rec
        try:
            gen = make(kind, args.device, args.epochs, args.finetune_steps)
            start = time.perf_counter()
            gen.fit(df, schema, [cls, sub])
            rec["fit_seconds"] = round(time.perf_counter() - start, 2)
            rec["device_"] = gen.device_
            model = gen.synthesizer_._model
            rec["modules"] = module_devices(model)
            drawn = {}
            for region, n in ((cls, 300), (sub, 200)):
                start = time.perf_counter()
                rows = gen.sample(n, region)
                seconds = round(time.perf_counter() - start, 2)
                drawn[region.id] = rows
                stats = gen.acceptance_[region.id]
                tuned = gen._aimed[region.id][0]
                rec[region.id] = {
                    "rows": len(rows), "inside": int(region.contains(rows).sum()),
                    "sample_seconds": seconds, "how": stats["how"],
                    "generated": stats["generated"], "accepted": stats["accepted"],
                    "finetune": stats.get("finetune"),
                    "tuned_modules": module_devices(tuned)}
                if len(rows) != n or not region.contains(rows).all():
                    problems.append(f"{region.id}: {len(rows)} rows, "
                                    f"{int(region.contains(rows).sum())} inside, of {n}")
                if list(rows.columns) != list(df.columns):
                    problems.append(f"{region.id}: columns differ from the table's")
                if "fine-tuned copy" not in stats["how"] and args.finetune_steps:
                    problems.append(f"{region.id}: no fine-tuning in {stats['how']!r}")
                if "constrained decoding" not in stats["how"]:
                    problems.append(f"{region.id}: no constrained decoding in {stats['how']!r}")
                if tuned is model and args.finetune_steps:
                    problems.append(f"{region.id}: no fine-tuned copy cached")
                for name, types in module_devices(tuned).items():
                    if types != [args.device]:
                        problems.append(f"{region.id}: fine-tuned {name} on {types}")
            if args.device == "cuda":  # torch_context leaves CUDA's generator as it was
                import torch

                before = torch.cuda.get_rng_state()
                gen.sample(10, cls)
                rec["cuda_rng_restored"] = bool(torch.equal(before, torch.cuda.get_rng_state()))
                if not rec["cuda_rng_restored"]:
                    problems.append("sampling changed CUDA's global random state")
            if not gen.device_.startswith(args.device):
                problems.append(f"device_ is {gen.device_}, not {args.device}")
            for name, types in rec["modules"].items():
                if types != [args.device]:
                    problems.append(f"{name} on {types}")
            state["fitted"][kind] = gen
            state["rows"][kind] = drawn
        except Exception as exc:  # recorded: the other generators still run
            problems.append(f"{type(exc).__name__}: {exc}")
            rec["traceback"] = traceback.format_exc()
        rec["problems"] = problems
        ok &= not problems
        log(f"fit {kind}: {'ok' if not problems else problems}")
    out["passed"] = ok
    return out


_LOAD = """
import pickle, sys, torch
gen = pickle.load(open(sys.argv[1], "rb"))
rows = {rid: len(gen.sample(20, region)) for rid, region in gen.regions_.items()}
model = gen.synthesizer_._model
devices = sorted({p.device.type for k, v in vars(model).items()
                  if isinstance(v, torch.nn.Module) for p in v.parameters()})
print("RESULT", rows, torch.cuda.is_available(), devices, str(model._device))
"""

_UPSTREAM = """
import pickle, sys, torch
sys.modules.pop("augment", None)
model = pickle.load(open(sys.argv[1], "rb"))
print("RESULT", len(model.sample(10)), str(model._device))
"""


def _load_without_gpu(script: str, path: Path) -> dict:
    env = dict(os.environ, CUDA_VISIBLE_DEVICES="")
    proc = subprocess.run([sys.executable, "-c", script, str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT")), None)
    return {"returncode": proc.returncode, "result": line,
            "error": None if proc.returncode == 0 else proc.stderr.strip().splitlines()[-1:]}


def check_pickle(args, state) -> dict:
    out, ok = {"kinds": {}}, True
    for kind, gen in state.get("fitted", {}).items():
        rec = out["kinds"][kind] = {}
        try:
            path = Path("/tmp") / f"gpu_check_{kind}.pkl"
            start = time.perf_counter()
            path.write_bytes(pickle.dumps(gen))
            rec["pickle_seconds"] = round(time.perf_counter() - start, 2)
            rec["bytes"] = path.stat().st_size
            rec["live_modules_after_pickling"] = module_devices(gen.synthesizer_._model)
            loaded = pickle.loads(path.read_bytes())
            rec["loaded_here_device"] = str(loaded.synthesizer_._model._device)
            rec["loaded_here_rows"] = len(loaded.sample(20, state["sub"]))
            rec["no_gpu_process"] = _load_without_gpu(_LOAD, path)
            good = (rec["no_gpu_process"]["returncode"] == 0
                    and all(v == [args.device] for v in rec["live_modules_after_pickling"]
                            .values())
                    and rec["loaded_here_device"].startswith(args.device))
        except Exception as exc:
            rec["error"] = f"{type(exc).__name__}: {exc}"
            rec["traceback"] = traceback.format_exc()
            good = False
        rec["passed"] = good
        ok &= good
        log(f"pickle {kind}: {'ok' if good else rec}")
    if args.device == "cuda":  # plain ctgan, for the record
        try:
            from ctgan import CTGAN

            df = state["df"][["int_rate", "annual_inc", "term"]].head(500)
            model = CTGAN(epochs=1, batch_size=100, enable_gpu=True)
            model.fit(df, discrete_columns=["term"])
            path = Path("/tmp/gpu_check_upstream_ctgan.pkl")
            path.write_bytes(pickle.dumps(model))
            out["upstream_ctgan"] = _load_without_gpu(_UPSTREAM, path)
        except Exception as exc:
            out["upstream_ctgan"] = {"error": f"{type(exc).__name__}: {exc}"}
        log("pickle upstream ctgan:", out["upstream_ctgan"])
    out["passed"] = ok and bool(out["kinds"])
    return out


def _refit_and_compare(args, state, kinds) -> dict:
    import numpy as np

    out = {}
    for kind in kinds:
        first = state["fitted"][kind]
        gen = make(kind, args.device, args.epochs, args.finetune_steps)
        gen.fit(state["df"], state["schema"], [state["cls"], state["sub"]])
        rows = {r.id: gen.sample(n, r) for r, n in ((state["cls"], 300), (state["sub"], 200))}
        a, b = first.loss_curve_, gen.loss_curve_
        loss_diff = float(np.nanmax(np.abs(a.drop(columns="epoch").to_numpy(float)
                                           - b.drop(columns="epoch").to_numpy(float))))
        diffs = {rid: frame_diff(state["rows"][kind][rid], rows[rid]) for rid in rows}
        same = loss_diff == 0 and all(
            state["rows"][kind][rid].equals(rows[rid]) for rid in rows)
        out[kind] = {"identical": same, "max_abs_loss_diff": loss_diff, "rows": diffs}
        log(f"determinism {kind}: {'identical' if same else out[kind]}")
    return out


def check_determinism(args, state) -> dict:
    kinds = [k for k in ("ctgan", "tvae") if k in state.get("fitted", {})]
    out = {"deterministic_algorithms": args.deterministic,
           "kinds": _refit_and_compare(args, state, kinds)}
    out["passed"] = bool(kinds) and all(v["identical"] for v in out["kinds"].values())
    if not out["passed"] and not args.deterministic and args.device == "cuda":
        cmd = [sys.executable, __file__, "--device", args.device, "--only", "fit,determinism",
               "--kinds", "ctgan,tvae", "--deterministic", "--out", str(args.out / "det"),
               "--rows", str(args.rows), "--epochs", str(args.epochs),
               "--finetune-steps", str(args.finetune_steps)]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=400)
        try:
            det = json.loads((args.out / "det" / "results.json").read_text())["determinism"]
        except Exception:
            det = {"error": proc.stderr[-2000:]}
        out["with_deterministic_algorithms"] = det
    return out


def _time_training(model, data, device: str, threads: int, epochs: int, seed: int = 0) -> dict:
    """Train a fresh copy of ``model``'s networks on ``data`` (a transformed matrix) for
    ``epochs`` epochs on ``device`` with ``threads`` torch threads: the loop ``fit`` runs."""
    import copy

    import torch
    from ctgan.data_sampler import DataSampler

    from augment.generators._deep_models import _clone
    from augment.generators._sdv_deep import torch_context

    stamps = []

    def on_epoch(_model, _losses):
        if device == "cuda":
            torch.cuda.synchronize()
        stamps.append(time.perf_counter())

    def fresh(module):
        module = copy.deepcopy(module).to(device)
        for layer in module.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
        return module

    with torch_context(seed, threads):
        run = _clone(model, epoch_callback=on_epoch, _loss_values=None,
                     _device=torch.device(device), _generator=fresh(model._generator),
                     _discriminator=fresh(model._discriminator))
        run._data_sampler = DataSampler(data, model._transformer.output_info_list,
                                        model._log_frequency)
        steps = max(len(data) // run._batch_size, 1)
        start = time.perf_counter()
        run._train(data, run._data_sampler, epochs, steps, run._batch_size,
                   run._generator_lr, run._discriminator_lr)
    first = stamps[0] - start
    steady = (len(stamps) - 1) / (stamps[-1] - stamps[0]) if len(stamps) > 1 else None
    return {"device": device, "torch_threads": threads, "rows": len(data),
            "steps_per_epoch": steps, "first_epoch_seconds": round(first, 3),
            "epoch_seconds": [round(b - a, 3) for a, b in itertools.pairwise(stamps)],
            "epochs_per_second": round(steady, 3) if steady else None,
            "rows_per_second": round(steady * steps * run._batch_size) if steady else None}


def check_timing(args, state) -> dict:
    """One real fit on the device (its epoch times recorded), then the same training loop
    timed on the device and on the CPU, on the fit's transformed matrix (SDV's and
    ctgan's preprocessing, the same for every device, done once) and on it resampled."""
    import numpy as np

    df, target = load_table(None)
    schema, cls, sub = regions_of(df, target)
    gen = make("ctgan", args.device, args.timing_epochs, 0, threads=1)
    captured, stamps = {}, []
    hook = gen._on_epoch

    def on_epoch(model, losses):
        if args.device == "cuda":
            import torch

            torch.cuda.synchronize()
        stamps.append(time.perf_counter())
        captured.setdefault("matrix", model._train_matrix)  # the whole table, before trimming
        hook(model, losses)

    gen._on_epoch = on_epoch
    start = time.perf_counter()
    gen.fit(df, schema, [cls, sub])
    model = gen.synthesizer_._model
    fit = {"device": gen.device_, "rows": len(df),
           "fit_seconds": round(time.perf_counter() - start, 2),
           "epoch_seconds_after_first": [round(b - a, 3) for a, b in itertools.pairwise(stamps)]}
    out = {"epochs": args.timing_epochs, "batch_size": 500, "fit": fit, "runs": []}
    state["results"]["timing"] = out  # partial results survive a timeout
    log("timing fit", out["fit"])
    state["save"]()
    matrix = np.asarray(captured["matrix"], dtype="float32")
    sizes = [len(matrix)] + [n for n in args.timing_rows if n != len(matrix)]
    for i, n in enumerate(sizes):
        data = matrix if n == len(matrix) else matrix[
            np.random.default_rng(0).integers(0, len(matrix), n)]
        runs = [("cuda", 1)] if args.device == "cuda" else []
        runs += [("cpu", args.cpu_threads)] + ([("cpu", 1)] if i == 0 else [])
        for device, threads in runs:
            rec = _time_training(model, data, device, threads, args.timing_epochs)
            out["runs"].append(rec)
            log("timing", rec)
            state["save"]()
    out["passed"] = all(r["epochs_per_second"] for r in out["runs"])
    return out


def start_cli(args) -> dict:
    """Start the CLI run in the background (it runs beside the checks that come first)."""
    run_dir = Path("/tmp") / f"gpu_check_cli_{args.device}"
    cmd = [sys.executable, "-m", "augment.cli", "generator=ctgan",
           f"generator.epochs={args.cli_epochs}", f"hydra.run.dir={run_dir}", "progress=false",
           "labeler_registry=null", f"generator.enable_gpu={str(args.device == 'cuda').lower()}"]
    log("cli started in the background:", " ".join(cmd[1:]))
    return {"cmd": cmd, "run_dir": run_dir, "start": time.perf_counter(),
            "proc": subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)}


def check_cli(args, state) -> dict:
    cli = state.get("cli") or start_cli(args)
    cmd, run_dir, proc = cli["cmd"], cli["run_dir"], cli["proc"]
    _, stderr = proc.communicate(timeout=600)
    seconds = round(time.perf_counter() - cli["start"], 1)
    files = sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file()) \
        if run_dir.is_dir() else []
    devices = []
    for path in run_dir.glob("*.json") if run_dir.is_dir() else []:
        text = path.read_text()
        devices += [f"{path.name}: {m}" for m in sorted(set(
            __import__("re").findall(r'"device": "([^"]+)"', text)))]
    out = {"command": " ".join(cmd[1:]), "returncode": proc.returncode, "seconds": seconds,
           "run_dir": str(run_dir), "files": files, "generator_device": devices,
           "stderr_tail": stderr.strip().splitlines()[-15:]}
    out["passed"] = (proc.returncode == 0 and "manifest.json" in files
                     and any(args.device in d for d in devices))
    log(f"cli: rc {proc.returncode}, {seconds} s, devices {devices}")
    return out


# -- main --------------------------------------------------------------------------------


def environment(args) -> dict:
    import numpy
    import pandas
    import torch

    info = {"python": platform.python_version(), "torch": torch.__version__,
            "numpy": numpy.__version__, "pandas": pandas.__version__,
            "cpu_count": os.cpu_count(), "cuda_available": torch.cuda.is_available()}
    for name in ("sdv", "ctgan", "rdt"):
        try:
            info[name] = __import__(name).__version__
        except Exception as exc:  # recorded
            info[name] = f"not importable: {exc}"
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cuda"] = torch.version.cuda
        info["cudnn"] = torch.backends.cudnn.version()
    return info


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--out", type=Path, default=Path("/tmp/gpu_check"))
    parser.add_argument("--only", default=",".join(CHECKS), help="comma-separated checks")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--finetune-steps", type=int, default=50)
    parser.add_argument("--timing-rows", default="30000",
                        help="comma-separated sizes the transformed table is resampled to for "
                             "the timing check, beside the whole table")
    parser.add_argument("--timing-epochs", type=int, default=5)
    parser.add_argument("--cpu-threads", type=int, default=os.cpu_count())
    parser.add_argument("--cli-epochs", type=int, default=5)
    parser.add_argument("--deterministic", action="store_true",
                        help="torch.use_deterministic_algorithms(True) (and cuBLAS's setting)")
    parser.add_argument("--quick", action="store_true",
                        help="small sizes: 600 rows, 1 epoch, 5 fine-tuning steps")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows, args.epochs, args.finetune_steps = 1500, 1, 5
        args.timing_rows, args.timing_epochs, args.cli_epochs = "", 2, 1
    if args.deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    args.kinds = tuple(k for k in args.kinds.split(",") if k)
    args.timing_rows = [int(n) for n in str(args.timing_rows).split(",") if n]
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT))

    import torch

    if args.deterministic:
        torch.use_deterministic_algorithms(True)
    if args.device == "cuda" and not torch.cuda.is_available():
        log("no CUDA device: nothing to check")
        return 1
    results = {"args": {k: str(v) for k, v in vars(args).items()},
               "environment": environment(args)}
    log("environment", results["environment"])
    path = args.out / "results.json"
    state: dict = {"results": results,
                   "save": lambda: path.write_text(json.dumps(results, indent=2, default=str))}
    failed = []
    checks = [c for c in args.only.split(",") if c]
    if "cli" in checks:  # beside the correctness checks; timing waits until it is done
        state["cli"] = start_cli(args)
        checks = [c for c in checks if c != "timing"] + (["timing"] if "timing" in checks
                                                         else [])
    for name in checks:
        start = time.perf_counter()
        log(f"-- {name}")
        try:
            rec = globals()[f"check_{name}"](args, state)
        except Exception as exc:  # recorded; the other checks still run
            rec = {"passed": False, "error": f"{type(exc).__name__}: {exc}",
                   "traceback": traceback.format_exc()}
            log(rec["traceback"])
        rec["check_seconds"] = round(time.perf_counter() - start, 1)
        results[name] = rec
        if not rec["passed"]:
            failed.append(name)
        state["save"]()
    results["failed"] = failed
    path.write_text(json.dumps(results, indent=2, default=str))
    log("failed:" if failed else "all checks passed", *failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
