"""Monitor thresholds: defaults from ``conf/monitor/default.yaml``, overridable by a YAML file."""

from __future__ import annotations

import numbers
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from augment.errors import ConfigError, format_problems

__all__ = ["Thresholds", "load_thresholds"]


@dataclass(frozen=True)
class Thresholds:
    """How far each monitored quantity may move (absolute difference); ``None`` turns it off.

    Parameters
    ----------
    label_share, region_share : float or None
        Share of synthetic rows per class / per region.
    acceptance : float or None
        Share of generated rows kept or rejected for each reason.
    pass_rate : float or None
        Per-region share of generated rows that passed every gate.
    fidelity_score : float or None
        Batch fidelity score per region and check.
    fidelity_verdict : bool
        A batch check passing in the baseline and failing in the new run is a breach.
    labeler_quality : float or None
        Cross-validated balanced accuracy, Brier score and ECE of the labeler.
    min_agreement : float or None
        Smallest agreement rate of the two labelers on the probe rows.
    probe_rows : int
        Largest probe set (a seeded sample of both runs' synthetic rows).
    """

    label_share: float | None = 0.05
    region_share: float | None = 0.10
    acceptance: float | None = 0.10
    pass_rate: float | None = 0.15
    fidelity_score: float | None = 0.05
    fidelity_verdict: bool = True
    labeler_quality: float | None = 0.05
    min_agreement: float | None = 0.90
    probe_rows: int = 20_000

    def check(self) -> list[str]:
        """Every value out of range, as messages."""
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "fidelity_verdict":
                if not isinstance(value, bool):
                    problems.append(f"fidelity_verdict must be true or false; got {value!r}")
            elif f.name == "probe_rows":
                if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
                    problems.append(f"probe_rows must be an integer >= 1; got {value!r}")
            elif value is not None and (not isinstance(value, numbers.Real) or isinstance(
                    value, bool) or value < 0 or (f.name == "min_agreement" and value > 1)):
                problems.append(f"{f.name} must be a number >= 0"
                                + (" and <= 1" if f.name == "min_agreement" else "")
                                + f" or null; got {value!r}")
        return problems

    def to_dict(self) -> dict:
        return asdict(self)


def default_config_path() -> Path:
    """``conf/monitor/default.yaml`` (``augment/conf`` inside a wheel)."""
    from augment.cli import config_dir

    return Path(config_dir()) / "monitor" / "default.yaml"


def _read_yaml(path: Path) -> dict:
    import yaml

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Expected a readable YAML thresholds file at '{path}'. Got: {exc}. "
                          "Fix: check the --config path and its syntax.") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"Expected a mapping of thresholds in '{path}'. Got "
                          f"{type(data).__name__}. Fix: write 'key: value' lines.")
    return data


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Defaults (the packaged YAML when present), updated by the YAML file at ``path``."""
    values: dict = {}
    default = default_config_path()
    if default.is_file():
        values.update(_read_yaml(default))
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"Expected a thresholds YAML file at '{path}'. Got: no such file. "
                              "Fix: check --config.")
        values.update(_read_yaml(path))
    known = {f.name for f in fields(Thresholds)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ConfigError(f"Unknown monitor thresholds {unknown}. Expected keys among "
                          f"{sorted(known)}. Fix: correct their names.")
    thresholds = Thresholds(**values)
    problems = thresholds.check()
    if problems:
        raise ConfigError(format_problems("Invalid monitor thresholds", problems))
    return thresholds
