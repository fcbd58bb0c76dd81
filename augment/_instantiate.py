"""The one place that turns config nodes into objects (Hydra's ``instantiate``)."""

from __future__ import annotations

from typing import Any

from augment.errors import ConfigError

__all__ = ["instantiate"]


def instantiate(node: Any, what: str) -> Any:
    """Instantiate a ``_target_`` node; config mistakes become :class:`ConfigError`."""
    from hydra.errors import InstantiationException
    from hydra.utils import instantiate as hydra_instantiate

    try:
        return hydra_instantiate(node, _convert_="all")
    except InstantiationException as exc:
        raise ConfigError(f"Could not build {what} from config: {exc}") from exc
