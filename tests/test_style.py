"""Code shape: short functions (issue 15, item 7)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "augment"
#: Longest function (``def`` line to last line, docstring included) before it must be split.
MAX_LINES = 70
#: Functions allowed to be longer, each with the reason it cannot be split (keep it short).
ALLOWED: dict[str, str] = {}


def _long_functions() -> dict[str, int]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_LINES:
                    found[f"{path.relative_to(PACKAGE.parent)}::{node.name}"] = lines
    return found


def test_functions_are_short():
    long = {k: v for k, v in _long_functions().items() if k not in ALLOWED}
    assert not long, (f"functions over {MAX_LINES} lines: {long}. Fix: split each into "
                      "functions whose names say what each step does (or, if it truly cannot "
                      "be split, add it to ALLOWED with the reason)")


def test_allowed_long_functions_are_still_long():
    stale = sorted(set(ALLOWED) - set(_long_functions()))
    assert not stale, f"no longer over {MAX_LINES} lines: remove {stale} from ALLOWED"
