"""Run outputs: parquet tables, manifest, markdown report and figures."""

from augment.report._manifest import build_manifest, package_versions
from augment.report._markdown import markdown_table
from augment.report._writer import MANIFEST, write_run

__all__ = ["MANIFEST", "build_manifest", "markdown_table", "package_versions", "write_run"]
