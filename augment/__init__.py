"""augment: synthetic rows where a labelled table is thin, kept only when they pass the gates."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Augmenter", "__version__"]


def __getattr__(name: str):  # keep `import augment` fast: heavy modules load on first use
    if name == "Augmenter":
        from augment.augmenter import Augmenter

        return Augmenter
    raise AttributeError(f"module 'augment' has no attribute {name!r}")
