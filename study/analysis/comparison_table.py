"""The comparison's main table as rows of text, for the terminal and for report.md."""

from __future__ import annotations

import math
from collections.abc import Sequence

from study.analysis.comparison import Comparison, NumberRow, ShareRow
from study.analysis.effects import Estimate

WIDE_MARK = "\u2020"  # dagger
DASH = "\u2013"  # en dash: ranges, and "nothing to show"
MINUS = "\u2212"
PETO_RELIABLE = (1 / 3, 3.0)
"""Peto's one-step hazard ratio is shown only in this range: far from 1 it is biased."""


def percent(share: float) -> str:
    """A share as a whole percentage, a dash for nan."""
    return DASH if math.isnan(share) else f"{100 * share:.0f}%"


def p_text(p_value: float) -> str:
    """A p-value to two significant digits, "<0.001" below that, a dash for nan."""
    if math.isnan(p_value):
        return DASH
    if p_value < 0.001:
        return "<0.001"
    return f"{p_value:.2g}" if p_value < 0.1 else f"{p_value:.2f}"


def number(value: float, digits: int | None = None) -> str:
    """A number with ``digits`` decimals (None: none for a whole number, else one), a
    dash for nan."""
    if math.isnan(value):
        return DASH
    if digits is None:
        digits = 0 if float(value).is_integer() else 1
    return f"{value:,.{digits}f}"


def interval(
    estimate: Estimate, scale: float = 1.0, digits: int | None = None, unit: str = ""
) -> str:
    """``+12 (3 to 20)`` with the sign shown; the interval left out where it is nan."""
    if math.isnan(estimate.value):
        return DASH
    value = scale * estimate.value
    text = ("+" if value >= 0 else "-") + number(abs(value), digits) + unit
    if math.isnan(estimate.low) or math.isnan(estimate.high):
        return text
    low, high = number(scale * estimate.low, digits), number(scale * estimate.high, digits)
    return f"{text} ({low} to {high})"


def share_cell(row: ShareRow, arm: int) -> str:
    """``7/8 88% (53-98)``, marked † when the interval is wider than 20 points."""
    successes, trials = row.successes[arm], row.trials[arm]
    if trials == 0:
        return "0/0"
    low, high = row.interval_a if arm == 0 else row.interval_b
    mark = WIDE_MARK if high - low > 0.2 else ""
    share = percent(successes / trials)
    text = f"{successes}/{trials} {share} ({100 * low:.0f}{DASH}{100 * high:.0f}){mark}"
    if row.missing[arm]:
        text += f" [{row.missing[arm]} n/o]"
    return text


def number_cell(row: NumberRow, arm: int) -> str:
    """``44 (38-51)``: median (interquartile range); "[k n/o]" runs not observed."""
    spread = row.spread_a if arm == 0 else row.spread_b
    digits = 1 if row.key == "blast_pct_at_infusion" else None
    if spread.observed == 0:
        return DASH
    quartiles = f"{number(spread.q25, digits)}{DASH}{number(spread.q75, digits)}"
    return f"{number(spread.median, digits)} ({quartiles})"


def main_table(comparison: Comparison) -> list[list[str]]:
    """Header and rows: outcome, arm A, arm B, difference A - B (95% CI), test and p."""
    name_a, name_b = comparison.names
    rows = [["outcome", name_a, name_b, f"{name_a} {MINUS} {name_b} (95% CI)", "test: p"]]
    rows.append(
        ["runs (virtual patients)", str(comparison.runs[0]), str(comparison.runs[1]), "", ""]
    )
    for row in comparison.shares.values():
        rows.append(
            [
                f"{row.label} [of {row.population}]",
                share_cell(row, 0),
                share_cell(row, 1),
                interval(row.difference, 100, digits=0, unit=" pts"),
                f"{row.test}: {p_text(row.p_value)}",
            ]
        )
    for row in comparison.numbers.values():
        digits = 1 if row.key == "blast_pct_at_infusion" else None
        rows.append(
            [
                f"{row.label}, {row.unit}: median (IQR)",
                number_cell(row, 0),
                number_cell(row, 1),
                interval(row.difference, digits=digits),
                f"{row.test}: {p_text(row.p_value)}",
            ]
        )
    rows.extend(_survival_rows(comparison))
    return rows


def _survival_rows(comparison: Comparison) -> list[list[str]]:
    survival = comparison.survival
    words = comparison.words
    medians = []
    for curve in (survival.curve_a, survival.curve_b):
        if curve is None:
            medians.append(words.no_responses)
            continue
        counted = f"({curve.events} {words.relapses} / {curve.subjects})"
        if math.isnan(curve.median.value):
            medians.append(f"not reached {counted}")
        else:
            medians.append(f"{curve.median.value:.0f} {counted}")
    rows = [[f"{words.free} survival, days from {words.onset}: median", *medians, "", ""]]
    if survival.testable and survival.logrank is not None:
        rows.append(
            [
                f"  mean {words.free} days in the first {survival.horizon:.0f} (RMST)",
                number(survival.rmst_a, 1),
                number(survival.rmst_b, 1),
                interval(survival.rmst_difference, digits=1),
                f"log-rank: {p_text(survival.logrank.p_value)}",
            ]
        )
        hr = survival.logrank.hazard_ratio
        if math.isnan(hr.value):
            hr_text = DASH
        elif not PETO_RELIABLE[0] <= hr.value <= PETO_RELIABLE[1]:
            hr_text = "not shown (Peto: too far from 1)"
        else:
            hr_text = f"{hr.value:.2f} ({hr.low:.2f} to {hr.high:.2f})"
        rows.append([f"  hazard ratio of {words.relapse}, A over B (Peto)", "", "", hr_text, ""])
    else:
        rows.append([f"  (too few patients {words.responders} in an arm to test)", "", "", "", ""])
    return rows


def format_text_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as aligned plain text, the header underlined."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_markdown_table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as a Markdown table, the first row the header."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"

    return "\n".join([line(rows[0]), line(["---"] * len(rows[0])), *(line(r) for r in rows[1:])])
