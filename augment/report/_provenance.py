"""Where a run's code came from: the git commit of augment's own checkout, and config hashes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

__all__ = ["config_hash", "git_commit", "provenance"]


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                              timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_commit(package_dir: str | Path | None = None) -> str | None:
    """``git rev-parse HEAD`` of the checkout that holds augment's own source, else ``None``.

    ``None`` when git is missing, the package is not in a git checkout, or the
    enclosing checkout does not track the package (e.g. a virtualenv's
    site-packages inside some other repository), so a wrong commit is never recorded.

    Examples
    --------
    >>> commit = git_commit()
    >>> commit is None or len(commit) == 40
    True
    """
    if package_dir is None:
        import augment

        package_dir = Path(augment.__file__).resolve().parent
    package_dir = Path(package_dir)
    if not package_dir.is_dir():
        return None
    top = _git(["rev-parse", "--show-toplevel"], package_dir)
    if not top:
        return None
    init = package_dir / "__init__.py"
    probe = init if init.exists() else package_dir
    try:
        relative = probe.resolve().relative_to(Path(top).resolve())
    except ValueError:
        return None
    if _git(["ls-files", "--error-unmatch", str(relative)], Path(top)) is None:
        return None
    return _git(["rev-parse", "HEAD"], package_dir)


def git_dirty(package_dir: str | Path | None = None) -> bool | None:
    """Whether augment's checkout has uncommitted changes to tracked files (``None``: unknown)."""
    if git_commit(package_dir) is None:
        return None
    if package_dir is None:
        import augment

        package_dir = Path(augment.__file__).resolve().parent
    out = _git(["status", "--porcelain", "--untracked-files=no", "--", "."], Path(package_dir))
    return None if out is None else bool(out)


def config_hash(config) -> str:
    """SHA-256 (first 16 hex digits) of a JSON-ready config, keys sorted.

    Examples
    --------
    >>> config_hash({"b": 1, "a": 2}) == config_hash({"a": 2, "b": 1})
    True
    """
    text = json.dumps(config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def provenance(generator: dict | None = None) -> dict:
    """The manifest's ``provenance`` block: git commit (or null), dirty flag, generator hash.

    ``generator`` is the manifest's ``generator`` entry (``class`` and ``params``);
    its hash identifies the generator configuration that made every synthetic row.
    """
    out = {"git_commit": git_commit(), "git_dirty": git_dirty()}
    if generator is not None:
        out["generator_config_hash"] = config_hash(
            {"class": generator.get("class"), "params": generator.get("params")})
    return out
