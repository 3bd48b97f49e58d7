"""The report files: ``report.md`` (figures linked) and a self-contained ``report.html``
(figures embedded as base64, opens in any browser without the PNG files)."""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime
from pathlib import Path

from sim.atomic_files import write_text_atomically
from study.analysis.comparison import Comparison
from study.analysis.comparison_table import format_markdown_table, main_table
from study.analysis.narrative import HOW_TO_READ, plain_words

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
CAPTIONS = {
    "outcomes": "Share of runs with each outcome; bars are 95% Wilson intervals.",
    "relapse_free": "Kaplan-Meier curves of {free} survival from {onset}; shaded bands are "
    "95% confidence bands (log-log), ticks are runs that ended without {relapse} (censored).",
    "kinetics": "CAR T-cells on the grid by day after infusion: median (line) and the middle "
    "half of runs (band), log scale (0 drawn at the bottom); days that fewer than half of "
    "the infused runs reached are left out.",
    "safety": "Left: highest CRS grade per infused run. Right: days of B-cell aplasia; each "
    "dot is a run.",
    "timing": "Days from enrolment to infusion and the {burden} at infusion; each dot is a run.",
}
STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; line-height: 1.5; color: #222; }
table { border-collapse: collapse; font-size: 0.92em; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
.box { background: #eef6fb; border-left: 5px solid #0072B2; padding: 0.6em 1em; }
.warn { background: #fdf0e6; border-left: 5px solid #D55E00; padding: 0.6em 1em; }
figure { margin: 1.5em 0; } img { max-width: 100%; }
figcaption { font-size: 0.92em; color: #444; }
code { background: #f4f4f4; padding: 0 3px; }
"""


def _sections(comparison: Comparison, figures: dict[str, Path]) -> list[tuple[str, str]]:
    """(kind, text) blocks in order; kind is h1, h2, p, box, warn, table or figure."""
    name_a, name_b = comparison.names
    pairs = comparison.arms
    words = comparison.words
    command = pairs.manifest.get("command_line", "")
    blocks: list[tuple[str, str]] = [
        ("h1", f"{name_a} versus {name_b}: comparison report"),
        (
            "p",
            f"Batch `{pairs.batch_dir}` ({comparison.runs[0]} and {comparison.runs[1]} runs; "
            f"made by `{command}`). Report written "
            f"{datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}.",
        ),
        ("h2", "In plain words"),
        ("p", plain_words(comparison)),
        ("box", HOW_TO_READ),
    ]
    blocks.extend(("warn", warning) for warning in comparison.warnings)
    blocks.extend(
        [
            ("h2", "Main table"),
            ("p", pairs.pairing_note),
            ("table", format_markdown_table(main_table(comparison))),
            (
                "p",
                "Shares: count/denominator, share and 95% Wilson interval; [k n/o] = runs of "
                "that population where the outcome was not observed (left out). Differences "
                "of shares: Newcombe's interval (paired version on pairs). Numbers: median "
                "(interquartile range); differences are medians of paired differences with "
                f"a sign-test interval. {words.relapses.capitalize()} and CD19-negative ones "
                "are counted among different runs in each arm, so they are compared with "
                "Fisher's exact test. "
                "CAR T-cells were still present at the end of "
                f"{comparison.persistence_censored[0]} {name_a} and "
                f"{comparison.persistence_censored[1]} {name_b} runs: their "
                "persistence is censored (a lower bound).",
            ),
        ]
    )
    for name, path in figures.items():
        caption = CAPTIONS[name].format(
            free=words.free, onset=words.onset, relapse=words.relapse, burden=words.burden
        )
        blocks.append(("figure", f"{path.name}|{caption}"))
    return blocks


def write_markdown(comparison: Comparison, figures: dict[str, Path], out_dir: Path) -> Path:
    """Write ``out_dir/report.md`` (figures linked by file name)."""
    lines = []
    for kind, text in _sections(comparison, figures):
        if kind == "h1":
            lines.append(f"# {text}\n")
        elif kind == "h2":
            lines.append(f"## {text}\n")
        elif kind in ("box", "warn"):
            lines.append("> " + ("**Warning.** " if kind == "warn" else "") + text + "\n")
        elif kind == "figure":
            file, caption = text.split("|", 1)
            lines.append(f"![{caption}]({file})\n\n*{caption}*\n")
        else:
            lines.append(text + "\n")
    path = out_dir / REPORT_MD
    write_text_atomically(path, "\n".join(lines))
    return path


def _inline(text: str) -> str:
    """Escape, then render the little Markdown the texts use: `code`, **bold**, *italic*."""
    text = html.escape(text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    text = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", text)
    return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)


def _html_table(markdown: str) -> str:
    rows = [line.strip("|").split(" | ") for line in markdown.splitlines() if line.strip()]
    head, body = rows[0], rows[2:]
    cells = "".join(f"<th>{_inline(c.strip())}</th>" for c in head)
    out = [f"<table><thead><tr>{cells}</tr></thead><tbody>"]
    for row in body:
        out.append("<tr>" + "".join(f"<td>{_inline(c.strip())}</td>" for c in row) + "</tr>")
    return "".join(out) + "</tbody></table>"


def write_html(comparison: Comparison, figures: dict[str, Path], out_dir: Path) -> Path:
    """Write ``out_dir/report.html`` with every figure embedded (base64 PNG)."""
    parts = []
    title = ""
    for kind, text in _sections(comparison, figures):
        if kind == "h1":
            title = text
            parts.append(f"<h1>{_inline(text)}</h1>")
        elif kind == "h2":
            parts.append(f"<h2>{_inline(text)}</h2>")
        elif kind in ("box", "warn"):
            prefix = "<strong>Warning.</strong> " if kind == "warn" else ""
            parts.append(f'<div class="{kind}">{prefix}{_inline(text)}</div>')
        elif kind == "table":
            parts.append(_html_table(text))
        elif kind == "figure":
            file, caption = text.split("|", 1)
            data = base64.b64encode((out_dir / file).read_bytes()).decode("ascii")
            parts.append(
                f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{data}">'
                f"<figcaption>{_inline(caption)}</figcaption></figure>"
            )
        else:
            parts.append(f"<p>{_inline(text)}</p>")
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
    path = out_dir / REPORT_HTML
    write_text_atomically(path, page)
    return path
