"""Monitoring runs over time: drift between two runs or labeler versions, with thresholds."""

from augment.monitor._compare import Change, Comparison, compare_labelers, compare_runs
from augment.monitor._run import RunData, load_run
from augment.monitor._summary import render_summary, write_summary
from augment.monitor._thresholds import Thresholds, load_thresholds

__all__ = [
    "Change",
    "Comparison",
    "RunData",
    "Thresholds",
    "compare_labelers",
    "compare_runs",
    "load_run",
    "load_thresholds",
    "render_summary",
    "write_summary",
]
