"""``report.html``: the markdown report as one self-contained page (figures embedded)."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

__all__ = ["render_html"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
table{border-collapse:collapse;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .55em;text-align:left;vertical-align:top}
th{background:#f2f2f2}tr:nth-child(even) td{background:#fafafa}
code{background:#f4f4f4;padding:0 .2em;border-radius:3px;font-size:.92em}
pre{background:#f6f8fa;padding:.8em;overflow:auto;font-size:.85em;border-radius:4px}
pre code{background:none;padding:0}img{max-width:100%;display:block;margin:.6em 0}
h1,h2,h3{border-bottom:1px solid #eee;padding-bottom:.2em}
"""
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])")
_MIME = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}


def _image(alt: str, src: str, run_dir: Path | None) -> str:
    """An ``<img>`` with the file embedded as a data URI; a note when it cannot be read."""
    path = Path(src) if Path(src).is_absolute() or run_dir is None else run_dir / src
    mime = _MIME.get(path.suffix.lower())
    if src.startswith(("http://", "https://")) or mime is None or not path.is_file():
        return f"<em>[figure {html.escape(alt or src)} not available]</em>"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(alt, quote=True)}" src="data:{mime};base64,{data}">'


def _inline(text: str, run_dir: Path | None) -> str:
    """Escape ``text`` and render images, code spans, links, bold and italics."""
    held: list[str] = []

    def hold(fragment: str) -> str:
        held.append(fragment)
        return f"\x00{len(held) - 1}\x00"

    text = _IMAGE.sub(lambda m: hold(_image(m.group(1), m.group(2), run_dir)), text)
    text = _CODE.sub(lambda m: hold(f"<code>{html.escape(m.group(1))}</code>"), text)
    text = _LINK.sub(lambda m: hold(
        f'<a href="{html.escape(m.group(2), quote=True)}">{html.escape(m.group(1))}</a>'
        if not m.group(2).startswith(("javascript:", "data:")) else html.escape(m.group(1))),
        text)
    text = html.escape(text)
    text = _BOLD.sub(r"<strong>\1</strong>", text)
    text = _ITALIC.sub(r"<em>\1</em>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: held[int(m.group(1))], text)


def _cells(line: str) -> list[str]:
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [c.strip() for c in re.split(r"(?<!\\)\|", line)]


def _is_rule(line: str) -> bool:
    return bool(re.fullmatch(r"\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?", line.strip()))


def _blocks(lines: list[str], run_dir: Path | None) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            i += 1
        elif stripped.startswith("```"):
            lang = stripped[3:].strip()
            body = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            i += 1
            cls = f' class="language-{html.escape(lang, quote=True)}"' if lang else ""
            out.append(f"<pre><code{cls}>{html.escape(chr(10).join(body))}</code></pre>")
        elif m := re.match(r"(#{1,6})\s+(.*)", stripped):
            level = len(m.group(1))
            out.append(f"<h{level}>{_inline(m.group(2), run_dir)}</h{level}>")
            i += 1
        elif stripped.startswith("|") and i + 1 < len(lines) and _is_rule(lines[i + 1]):
            header = _cells(stripped)
            i += 2
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            head = "".join(f"<th>{_inline(c, run_dir)}</th>" for c in header)
            body = "".join("<tr>" + "".join(f"<td>{_inline(c, run_dir)}</td>" for c in row)
                           + "</tr>" for row in rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif re.match(r"[-*]\s+", stripped):
            items = []
            while i < len(lines) and re.match(r"\s*[-*]\s+", lines[i]):
                items.append(re.sub(r"^\s*[-*]\s+", "", lines[i]))
                i += 1
                while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() and \
                        not re.match(r"\s*[-*]\s+", lines[i]):
                    items[-1] += " " + lines[i].strip()
                    i += 1
            out.append("<ul>" + "".join(f"<li>{_inline(t, run_dir)}</li>" for t in items)
                       + "</ul>")
        else:
            para = []
            while i < len(lines) and lines[i].strip() and not re.match(
                    r"\s*(#{1,6}\s|```|[-*]\s+|\|)", lines[i]):
                para.append(lines[i].strip())
                i += 1
            if not para:  # a lone table-looking line without a rule: plain text
                para.append(stripped)
                i += 1
            out.append(f"<p>{_inline(' '.join(para), run_dir)}</p>")
    return out


def render_html(markdown_text: str, run_dir: str | Path | None = None) -> str:
    """The markdown subset ``report.md`` uses, as one self-contained HTML page.

    Headings, paragraphs, bullet lists, pipe tables, fenced code, inline code,
    bold, italics and links are converted; images (``![alt](figures/x.png)``,
    relative to ``run_dir``) are embedded as base64 data URIs, so the page needs
    no other file and no network. All text is HTML-escaped.

    Parameters
    ----------
    markdown_text : str
        The report in markdown.
    run_dir : str, Path or None
        Folder that relative image paths are read from.

    Examples
    --------
    >>> page = render_html("# Title\\n\\n| a | b |\\n|---|---|\\n| 1 | `x` |\\n")
    >>> "<table>" in page and "<code>x</code>" in page
    True
    """
    run_dir = Path(run_dir) if run_dir is not None else None
    lines = markdown_text.splitlines()
    title = next((re.sub(r"^#+\s*", "", x) for x in lines if x.startswith("# ")), "augment report")
    body = "\n".join(_blocks(lines, run_dir))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
            f"<body>\n{body}\n</body></html>\n")
