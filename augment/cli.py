"""The ``augment`` command: a Hydra app that runs the pipeline and writes a run directory."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from augment._instantiate import instantiate
from augment.errors import AugmentError

log = logging.getLogger("augment")


def config_dir() -> str:
    """``augment/conf`` inside an installed wheel, else the repository's ``conf/``."""
    packaged = Path(__file__).parent / "conf"
    return str(packaged if packaged.is_dir() else Path(__file__).parents[1] / "conf")


def build_augmenter(cfg: DictConfig):
    """An :class:`~augment.Augmenter` from a composed config."""
    from augment import Augmenter

    gate = cfg.gate
    return Augmenter(
        sampling_strategy=OmegaConf.to_container(cfg.sampling_strategy)
        if isinstance(cfg.sampling_strategy, DictConfig) else cfg.sampling_strategy,
        profile=instantiate(cfg.profile, "the profile"),
        generator=instantiate(cfg.generator, "the generator"),
        labeler=instantiate(cfg.labeler, "the labeler"),
        label_policy=gate.label_policy,
        label_acceptance=gate.get("acceptance", "match"),
        floor_quantile=gate.get("floor_quantile", 0.0),
        min_confidence=gate.min_confidence,
        # a gate set to null is switched off (gate.row.realism=null)
        row_gates=[instantiate(node, f"row gate '{name}'") for name, node in gate.row.items()
                   if node is not None],
        batch_gates=[instantiate(node, f"batch gate '{name}'")
                     for name, node in gate.batch.items() if node is not None],
        batch_on_fail=gate.batch_on_fail,
        check_all=gate.get("check_all", False),
        weight_mode=cfg.weight_mode,
        max_rounds=cfg.max_rounds,
        max_rows_per_round=cfg.max_rows_per_round,
        random_state=cfg.seed,
        progress=cfg.progress,
    )


def summary(result, run_dir: Path, seconds: float) -> str:
    counts = result.counts()
    lines = [f"augment: wrote {run_dir}",
             f"  real rows {counts['real_rows']}, requested {counts['requested']}, generated "
             f"{counts['generated']}, kept {counts['kept']}, rejected {counts['rejected']} "
             f"({', '.join(f'{k} {v}' for k, v in counts['rejected_by_reason'].items()) or '-'}),"
             f" surplus {counts['surplus']}"]
    lines += [f"  VERDICT {v['text']}" for v in result.verdicts()]
    for b in result.batch:
        verdict = {True: "pass", False: "FAIL", None: "skipped"}[b["passed"]]
        lines.append(f"  {b['region']} {b['gate']}: {verdict}: {b['message']}")
    for r in result.regions:
        if r["shortfall"]:
            lines.append(f"  SHORTFALL {r['id']}: kept {r['kept']} of {r['requested']} "
                         f"({r['stopped']})")
    lines += [f"  warning: {w}" for w in result.warnings]
    lines.append(f"  wall time {seconds:.1f} s")
    return "\n".join(lines)


def run(cfg: DictConfig, run_dir: Path, pathway: str = "augment") -> Path:
    """Everything the command does, given a composed config and where to write.

    With an ``evaluate`` config the real table is split first: the augmenter sees
    only the training part, and ``metrics.json`` compares pathways on the rest.
    """
    from augment.errors import ConfigError
    from augment.report import write_run

    start = time.perf_counter()
    augmenter = build_augmenter(cfg)
    augmenter._components()  # every config problem, before the data is read
    evaluation = (instantiate(cfg.evaluate, "the evaluation")
                  if cfg.get("evaluate") is not None else None)
    if evaluation is not None and evaluation.check_params():
        raise ConfigError("; ".join(evaluation.check_params()))
    source = instantiate(cfg.data, "the data source")
    frame, target = source.load()
    train, test = evaluation.split(frame, target) if evaluation else (frame, None)
    import warnings

    from augment.errors import AugmentWarning

    with warnings.catch_warnings():  # the summary below prints every run warning once
        warnings.simplefilter("ignore", AugmentWarning)
        augmenter.fit_table(train, target)
    _store_labeler(cfg, augmenter, train, target)
    metrics = None
    if evaluation is not None:
        metrics = evaluation.evaluate(train, test, augmenter.schema_, augmenter.result_.augmented,
                                      augmenter.sampling_strategy, pathway=pathway)
    input_info = {"path": source.path, "name": None if source.path else "lending_club (embedded)",
                  "target": target, "rows": len(frame), "columns": len(frame.columns),
                  "augmented_rows": len(train), "sha256": source.fingerprint(frame)}
    manifest = write_run(augmenter.result_, run_dir, input_info=input_info, seed=cfg.seed,
                         config=OmegaConf.to_container(cfg, resolve=True), metrics=metrics)
    print(summary(augmenter.result_, run_dir, time.perf_counter() - start), file=sys.stderr)
    return manifest


def _store_labeler(cfg: DictConfig, augmenter, train, target: str) -> None:
    """Save the fitted labeler to the registry (``labeler_registry``) and note its version."""
    from augment.errors import ConfigError
    from augment.labelers import save

    registry = cfg.get("labeler_registry")
    labeler = augmenter.labeler_
    version = getattr(labeler, "version", None) if labeler.name == "stored" else None
    if registry and version is None:
        try:
            version = save(labeler, train[[*augmenter.schema_.features, target]], registry)
        except ConfigError as exc:  # e.g. a labeler kind the registry cannot store yet
            augmenter.result_.warnings.append(f"labeler not saved: {exc}")
    augmenter.result_.labeler["version"] = version
    augmenter.result_.labeler["registry"] = registry


def _pin_threads(n: int) -> None:
    """One sweep worker must not oversubscribe the CPU: limit BLAS/OpenMP and torch threads."""
    import os

    from threadpoolctl import threadpool_limits

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)
    threadpool_limits(n)
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(n)


@hydra.main(version_base="1.3", config_path=config_dir(), config_name="config")
def _hydra_main(cfg: DictConfig) -> None:
    import json
    import traceback

    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    hc = HydraConfig.get()
    run_dir = Path(hc.runtime.output_dir)
    choices = hc.runtime.choices
    pathway = f"augment:{choices.get('generator')}/{choices.get('gate')}"
    if hc.mode == RunMode.MULTIRUN:
        # a sweep job: pinned threads, and a failure is recorded, not raised, so that
        # the other jobs of the sweep finish and scripts/summarize.py reports it
        _pin_threads(int(cfg.get("threads_per_job", 1)))
        try:
            run(cfg, run_dir, pathway)
        except Exception as exc:  # every failure is recorded, whatever its type
            (run_dir / "error.json").write_text(json.dumps({
                "error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc(),
                "overrides": list(hc.overrides.task)}, indent=2))
            log.error("job failed: %s: %s", type(exc).__name__, exc)
        return
    try:
        run(cfg, run_dir, pathway)
    except AugmentError as exc:
        print(f"augment: error: {exc}", file=sys.stderr)
        sys.exit(2)


def main() -> None:
    """Console-script entry point."""
    _hydra_main()


if __name__ == "__main__":
    main()
