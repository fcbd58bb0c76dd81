"""What a comparison writes: ``monitor.md`` and ``moved.png`` (the moved quantities)."""

from __future__ import annotations

import json
from pathlib import Path

from augment.monitor._compare import Comparison

__all__ = ["plot_moved", "render_summary", "write_summary"]

_LIMIT = 40


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "pass" if value else "FAIL"
    return f"{value:.4g}"


def render_summary(c: Comparison, figure: str | None = "moved.png") -> str:
    """The comparison as markdown: verdict, breaches, every moved quantity, notes."""
    verdict = (f"**{len(c.breaches)} breach(es)**" if c.breaches else "clean: nothing moved "
               "beyond its threshold")
    out = [f"# augment monitor: `{c.b}` against baseline `{c.a}`", "", f"Verdict: {verdict}.", ""]
    if c.agreement:
        out += [f"Labeler agreement ({c.agreement['labeler_a']} vs {c.agreement['labeler_b']}) on "
                f"{c.agreement['rows']} probe rows: {_fmt(c.agreement['agreement'])}.", ""]
    if c.breaches:
        out += ["## Breaches", ""] + [f"- {ch.describe()}" for ch in c.breaches] + [""]
    moved = c.moved
    out += ["## What moved", ""]
    if moved:
        out += ["| quantity | key | baseline | new | change | limit | breach |",
                "|---|---|---|---|---|---|---|"]
        out += [f"| {ch.family} | {ch.key} | {_fmt(ch.a)} | {_fmt(ch.b)} | "
                f"{'-' if ch.delta is None else f'{ch.delta:+.4g}'} | "
                f"{'-' if ch.threshold is None else f'{ch.threshold:g}'} | "
                f"{'**yes**' if ch.breached else 'no'} |" for ch in moved]
    else:
        out.append("Nothing changed.")
    out.append("")
    if figure and moved:
        out += [f"![Moved quantities]({figure})", ""]
    if c.notes:
        out += ["## Notes", ""] + [f"- {n}" for n in c.notes] + [""]
    out += ["## Thresholds", "", "```json", json.dumps(c.thresholds.to_dict(), indent=1), "```",
            ""]
    return "\n".join(out)


def plot_moved(c: Comparison, path: Path) -> bool:
    """Horizontal bars: each moved quantity's change as a multiple of its limit."""
    moved = [ch for ch in c.moved if ch.delta is not None][:_LIMIT]
    if not moved:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ratios = [ch.delta / ch.threshold if ch.threshold else ch.delta for ch in moved]
    colours = ["#c0392b" if ch.breached else "#2e86c1" for ch in moved]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(moved) + 1.4))
    y = range(len(moved))[::-1]
    ax.barh(list(y), ratios, color=colours)
    ax.set_yticks(list(y), [f"{ch.family} {ch.key}"[:60] for ch in moved], fontsize=7)
    for x in (-1, 1):
        ax.axvline(x, color="k", linestyle="--", linewidth=0.8)
    ax.set_xlabel("change / limit (beyond the dashed lines: breach; red: breached)")
    ax.set_title(f"{c.b} vs baseline {c.a}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_summary(c: Comparison, out_dir: str | Path) -> Path:
    """Write ``monitor.md``, ``moved.png`` (when something moved) and ``monitor.json``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    has_plot = plot_moved(c, out_dir / "moved.png")
    (out_dir / "monitor.md").write_text(render_summary(c, "moved.png" if has_plot else None))
    (out_dir / "monitor.json").write_text(json.dumps({
        "a": c.a, "b": c.b, "breaches": len(c.breaches), "agreement": c.agreement,
        "notes": c.notes, "thresholds": c.thresholds.to_dict(),
        "changes": [{"family": ch.family, "key": ch.key, "a": ch.a, "b": ch.b,
                     "delta": ch.delta, "threshold": ch.threshold, "breached": ch.breached,
                     "note": ch.note} for ch in c.changes]}, indent=1))
    return out_dir / "monitor.md"
