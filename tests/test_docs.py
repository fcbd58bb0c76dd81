"""The benchmark docs regenerate: every doc has a reproducer, and every doc says what made it."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import _docstamp  # noqa: E402
import reproduce_docs  # noqa: E402

STAMP = re.compile(r"Produced by `[^`]*python scripts/\S+\.py[^`]*` at commit `[0-9a-f]{7,}"
                   r"(\+dirty)?` on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def _docs() -> list[Path]:
    return sorted([*(ROOT / "docs").glob("bench_*.md"), ROOT / "docs" / "benchmarks.md"])


def test_list_covers_every_benchmark_doc():
    out = subprocess.run([sys.executable, "scripts/reproduce_docs.py", "--list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    listed = {line.split("\t")[1] for line in out.splitlines() if "\t" in line}
    missing = [str(p.relative_to(ROOT)) for p in _docs()
               if str(p.relative_to(ROOT)) not in listed]
    assert not missing, (f"docs without a reproducer: {missing}. Fix: add one to REPRODUCERS "
                         "in scripts/reproduce_docs.py")


@pytest.mark.parametrize("reproducer", reproduce_docs.REPRODUCERS, ids=lambda r: r.name)
def test_reproducer_commands_name_real_scripts_and_options(reproducer):
    for command in (*reproducer.full, *reproducer.quick):
        script, *args = shlex.split(command)
        source = (ROOT / "scripts" / script).read_text()
        unknown = [a for a in args if a.startswith("--") and f'"{a}"' not in source]
        assert not unknown, f"{script} has no option(s) {unknown}"
    for command in reproducer.quick:  # a smoke run never writes into docs/
        assert "docs/" not in command, command


@pytest.mark.parametrize("doc", _docs(), ids=lambda p: p.name)
def test_every_doc_is_stamped_or_marked_superseded(doc):
    head = "\n".join(doc.read_text().splitlines()[:6])
    assert STAMP.search(head) or "**Superseded" in head, (
        f"{doc.name}: expected the stamp of scripts/_docstamp.py (or a 'Superseded' mark with "
        f"the command to regenerate) in its first lines; got:\n{head}")


def test_stamp_names_command_commit_and_date(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    for name in ("MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "DOCSTAMP_COMMIT"):
        monkeypatch.delenv(name, raising=False)  # the stamp names the thread settings it sees
    line = _docstamp.stamp(["--rows", "30", "--name", "a b"], script="scripts/bench_x.py",
                           computed_at="results computed at `abc1234`")
    assert STAMP.search(line), line
    assert "`OMP_NUM_THREADS=1 python scripts/bench_x.py --rows 30 --name 'a b'`" in line
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True,
                          capture_output=True).stdout.strip()
    assert f"at commit `{head}" in line
    assert line.endswith("(results computed at `abc1234`).")
    monkeypatch.setenv("DOCSTAMP_COMMIT", "1234abc")
    assert "at commit `1234abc` on" in _docstamp.stamp([], script="scripts/bench_x.py")


def test_unknown_doc_name_is_refused():
    proc = subprocess.run([sys.executable, "scripts/reproduce_docs.py", "--only", "bench_nope",
                           "--quick"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 2
    assert "unknown doc(s) ['bench_nope']" in proc.stderr


@pytest.mark.slow
def test_quick_reproducer_writes_a_stamped_doc(tmp_path):
    proc = subprocess.run([sys.executable, "scripts/reproduce_docs.py", "--quick", "--only",
                           "bench_conditioning", "--keep", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    text = (tmp_path / "bench_conditioning.md").read_text()
    assert text.startswith("# Gaussian copula: how to aim at a class\n")
    assert STAMP.search(text.splitlines()[2]), text[:400]
    assert "--rows 200" in text.splitlines()[2]
    rows = [line for line in text.splitlines() if line.startswith("| lending_club")]
    assert len(rows) == 4  # two conditioning modes x two marginal families
