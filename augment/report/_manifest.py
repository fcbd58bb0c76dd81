"""The manifest: everything needed to know what a run did and to repeat it."""

from __future__ import annotations

import hashlib
import platform
import sys
from importlib import metadata
from pathlib import Path

import augment

__all__ = ["build_manifest", "package_versions"]

_PACKAGES = ("sdv", "sdmetrics", "ctgan", "rdt", "copulas", "scikit-learn", "imbalanced-learn",
             "pandas", "numpy", "scipy", "torch", "hydra-core", "pyarrow", "matplotlib")


def package_versions() -> dict[str, str | None]:
    versions = {"augment": augment.__version__, "python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def build_manifest(result, *, config: dict | None, input_info: dict, seed, files: dict) -> dict:
    """A JSON-ready dict; ``files`` maps output names to their SHA-256."""
    return {
        "augment_version": augment.__version__,
        "seed": seed,
        "input": input_info,
        "config": config,
        "schema": result.schema.to_dict(),
        "counts": result.counts(),
        "regions": result.regions,
        "batch_fidelity": result.batch,
        "distortion": result.distortion,
        "verdicts": result.verdicts(),
        "generator": result.generator,
        "labeler": result.labeler,
        "label_consistency": result.consistency,
        "gates": result.gates,
        "seconds": result.timings,
        "warnings": result.warnings,
        "environment": {"packages": package_versions(), "platform": platform.platform(),
                        "argv": sys.argv},
        "outputs": files,
    }
