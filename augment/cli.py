"""The ``augment`` command: a Hydra app that runs the pipeline and writes a run directory."""

from __future__ import annotations

import logging
import sys
import time
import warnings
from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from augment._instantiate import instantiate
from augment._threads import thread_limit
from augment.errors import AugmentError, AugmentWarning

log = logging.getLogger("augment")


def config_dir() -> str:
    """``augment/conf`` inside an installed wheel, else the repository's ``conf/``."""
    packaged = Path(__file__).parent / "conf"
    return str(packaged if packaged.is_dir() else Path(__file__).parents[1] / "conf")


def build_augmenter(cfg: DictConfig):
    """An :class:`~augment.Augmenter` from a composed config."""
    from augment import Augmenter

    gate = cfg.gate
    known = _gate_keys()
    unknown = sorted(set(gate) - known)
    if unknown:  # Hydra's hint for a typo is "+gate.<typo>=...", which would be ignored here
        from augment.errors import ConfigError

        raise ConfigError(f"Expected gate settings among {sorted(known)}. Got unknown "
                          f"{unknown}. Fix: correct the name (see conf/gate/default.yaml).")
    return Augmenter(
        sampling_strategy=OmegaConf.to_container(cfg.sampling_strategy)
        if isinstance(cfg.sampling_strategy, DictConfig) else cfg.sampling_strategy,
        profile=instantiate(cfg.profile, "the profile"),
        generator=instantiate(cfg.generator, "the generator"),
        labeler=instantiate(cfg.labeler, "the labeler"),
        regions=_plain(cfg.get("regions")),
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
        keep_columns=list(cfg.get("keep_columns") or ()),
        carry_columns=list(cfg.get("carry_columns") or ()),
        random_state=cfg.seed,
        progress=_progress(cfg.progress),
        threads=cfg.get("threads", 1),
    )


def _gate_keys() -> set[str]:
    """What a ``gate`` config may hold (it is read key by key, not instantiated): every key of
    the ``conf/gate/`` options."""
    root = Path(config_dir()) / "gate"
    return {key for path in root.glob("*.yaml") for key in OmegaConf.load(path)} - {"defaults"}


def _progress(setting) -> bool:
    """``auto``: bars only when stderr is a terminal (piped output gets plain log lines)."""
    if isinstance(setting, str) and setting.lower() == "auto":
        return sys.stderr.isatty()
    return bool(setting)


def known_keys() -> set[str]:
    """Top-level config keys: ``config.yaml``'s settings, the config groups, ``hydra``."""
    root = Path(config_dir())
    keys = set(OmegaConf.load(root / "config.yaml")) - {"defaults"}
    return keys | {p.name for p in root.iterdir() if p.is_dir()} | {"hydra"}


def check_overrides(args: list[str]) -> list[str]:
    """Problems with command-line overrides whose top-level key augment does not know.

    Hydra would answer ``generater=smote`` with "use +generater=smote", and that
    runs the default generator silently; both forms are refused here, with the
    nearest known key.
    """
    import difflib

    known = known_keys()
    problems = []
    for arg in args:
        if arg.startswith("-") or "=" not in arg:
            continue
        key = arg.split("=", 1)[0].lstrip("+~").split("@", 1)[0]
        top = key.split(".", 1)[0].split("/", 1)[0]
        if top and top not in known:
            near = difflib.get_close_matches(top, sorted(known), n=1)
            hint = (f"did you mean {arg.lstrip('+~').replace(top, near[0], 1)}?" if near else
                    "see augment --help for the settings and groups")
            problems.append(f"'{top}' (in '{arg}') is not a setting or config group of augment. "
                            f"Fix: {hint}")
    return problems


def _missing_values(cfg: DictConfig) -> list[str]:
    """Config values still ``???``, e.g. ``data.path`` after ``data=file``."""
    missing = sorted(OmegaConf.missing_keys(cfg))
    if not missing:
        return []
    if any(k.startswith("data.") for k in missing):
        return [f"expected values for {', '.join(missing)} (data=file reads your own table). Got "
                "none. Fix: augment data=file data.path=my.csv data.target=label "
                "(or just data.path=my.csv data.target=label)."]
    return [f"expected values for {', '.join(missing)}. Got none. Fix: set them on the command "
            "line, e.g. " + " ".join(f"{k}=..." for k in missing) + "."]


def _plain(node):
    """A config node as plain Python (lists and dicts); anything else as it is."""
    from omegaconf import ListConfig

    return OmegaConf.to_container(node) if isinstance(node, (DictConfig, ListConfig)) else node


def summary(result, run_dir: Path, seconds: float) -> str:
    from augment.report._markdown import batch_verdict

    counts = result.counts()
    lines = [f"augment: wrote {run_dir}",
             f"  real rows {counts['real_rows']}, requested {counts['requested']}, generated "
             f"{counts['generated']}, kept {counts['kept']}, rejected {counts['rejected']} "
             f"({', '.join(f'{k} {v}' for k, v in counts['rejected_by_reason'].items()) or '-'}),"
             f" surplus {counts['surplus']}"]
    lines += [f"  VERDICT {v['text']}" for v in result.verdicts()]
    for b in result.batch:
        verdict, detail = batch_verdict(b)
        lines.append(f"  {b['region']} {b['gate']}: {verdict}: {detail}")
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
    problems = _missing_values(cfg)
    if problems:
        raise ConfigError("; ".join(problems))
    augmenter = build_augmenter(cfg)
    augmenter._components()  # every config problem, before the data is read
    evaluation = (instantiate(cfg.evaluate, "the evaluation")
                  if cfg.get("evaluate") is not None else None)
    if evaluation is not None and evaluation.check_params():
        raise ConfigError("; ".join(evaluation.check_params()))
    source = instantiate(cfg.data, "the data source")
    frame, target = source.load()
    if evaluation is not None:  # identifiers are found in file order, before the split shuffles
        augmenter.set_params(carry_columns=_identifiers(augmenter, frame, target))
    train, test = evaluation.split(frame, target) if evaluation else (frame, None)
    with warnings.catch_warnings():  # the summary below prints them once, with the rest
        warnings.simplefilter("ignore", AugmentWarning)
        augmenter.fit_table(train, target)
    _store_labeler(cfg, augmenter, train, target, source={
        "data": source.path or "lending_club (embedded)", "target": target, "rows": len(train),
        "run": str(run_dir)})
    metrics = None
    if evaluation is not None:
        with thread_limit(augmenter.threads):  # the one setting, as for the augmenter
            metrics = evaluation.evaluate(train, test, augmenter.schema_,
                                          augmenter.result_.augmented,
                                          augmenter.sampling_strategy, pathway=pathway,
                                          regions=augmenter.regions_)
    input_info = {"path": source.path, "name": None if source.path else "lending_club (embedded)",
                  "target": target, "rows": len(frame), "columns": len(frame.columns),
                  "augmented_rows": len(train), "sha256": source.fingerprint(frame)}
    with thread_limit(augmenter.threads):  # the report's discriminator figure fits models too
        manifest = write_run(augmenter.result_, run_dir, input_info=input_info, seed=cfg.seed,
                             config=OmegaConf.to_container(cfg, resolve=True), metrics=metrics)
    print(summary(augmenter.result_, run_dir, time.perf_counter() - start), file=sys.stderr)
    return manifest


def _identifiers(augmenter, frame, target: str) -> dict[str, str]:
    """Columns the whole table shows to be identifiers (a row number is in order only there),
    with why, for ``carry_columns``."""
    from augment.data import detect_schema

    schema = detect_schema(frame, target, keep=tuple(augmenter.keep_columns),
                           carry=tuple(augmenter.carry_columns))
    return {name: f"{info['detail']}, in the whole table" if name not in
            augmenter.carry_columns else info["detail"]
            for name, info in schema.carried.items() if info["kind"] == "identifier"}


def _store_labeler(cfg: DictConfig, augmenter, train, target: str,
                   source: dict | None = None) -> None:
    """Save the fitted labeler to the registry (``labeler_registry``) and note its version."""
    from augment.errors import ConfigError
    from augment.labelers import save

    registry = cfg.get("labeler_registry")
    labeler = augmenter.labeler_
    version = getattr(labeler, "version", None) if labeler.name == "stored" else None
    if registry and version is None:
        try:
            version = save(labeler, train[[*augmenter.schema_.features, target]], registry,
                           source=source)
        except ConfigError as exc:  # e.g. a labeler kind the registry cannot store yet
            augmenter.result_.warnings.append(f"labeler not saved: {exc}")
    augmenter.result_.labeler["version"] = version
    augmenter.result_.labeler["registry"] = registry


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
        # a sweep job: a failure is recorded, not raised, so that the other jobs of the
        # sweep finish and scripts/summarize.py reports it (threads: see run)
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
    """Console-script entry point.

    Refuses unknown top-level settings before Hydra composes anything, and exits
    1 after a ``--multirun`` sweep in which any job failed (the jobs and their
    errors are listed by :class:`augment._sweep.SweepFailures`).
    """
    from augment import _sweep
    from augment.errors import format_problems

    problems = check_overrides(sys.argv[1:])
    if problems:
        print("augment: error: " + format_problems("Expected known settings", problems),
              file=sys.stderr)
        sys.exit(2)
    _hydra_main()
    if _sweep.FAILED:
        sys.exit(1)


if __name__ == "__main__":
    main()
