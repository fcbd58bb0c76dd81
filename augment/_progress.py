"""Progress display: one bar over the pipeline's stages, one per generation loop."""

from __future__ import annotations

import logging
import sys

from tqdm.auto import tqdm

logger = logging.getLogger("augment")


class StageBar:
    """A bar over named stages; ``next(name)`` moves to the next stage and logs it."""

    def __init__(self, stages: list[str], enabled: bool = True):
        self._stages = stages
        self._bar = tqdm(total=len(stages), desc="augment", unit="stage", disable=not enabled,
                         file=sys.stderr, leave=True)
        self._done = 0

    def next(self, name: str) -> None:
        if self._done:
            self._bar.update(1)
        self._done += 1
        self._bar.set_postfix_str(name)
        logger.info("stage %d/%d: %s", self._done, len(self._stages), name)

    def close(self) -> None:
        self._bar.update(len(self._stages) - self._bar.n)
        self._bar.close()


def row_bar(total: int, desc: str, enabled: bool = True) -> tqdm:
    """Bar over kept rows for one region."""
    return tqdm(total=total, desc=desc, unit="row", disable=not enabled, file=sys.stderr,
                leave=False)
