"""The report's paragraph in plain words, generated from the numbers, and the "how to
read this" box for students.

Every direction word (more, fewer, earlier, longer...) is chosen from the sign of a
difference, and every claim of a difference from whether its 95 % interval excludes
zero, so the text cannot contradict the table.
"""

from __future__ import annotations

import math

from study.analysis.comparison import Comparison, NumberRow, ShareRow
from study.analysis.comparison_table import number, p_text, percent

HOW_TO_READ = (
    "**How to read this.** Each run is one virtual patient; the two arms treat the same "
    "virtual patients (the same random seed), so they can be compared pair by pair. "
    "A *share* such as 75% (60-86) gives the runs with the outcome and, in brackets, its "
    "95% confidence interval: the range of true shares these runs are compatible with. "
    "The *difference* A - B is in percentage points; with paired arms it is taken over the "
    "pairs where both runs observed the outcome, so when some runs did not it need not be "
    "the two shares' difference. When its interval excludes 0, the "
    "runs show a clear difference, and the p-value of the test is then small (below 0.05). "
    "A wide interval means too few runs, not no effect. *Median (IQR)* is the middle run "
    "and the range of the middle half of runs. A *Kaplan-Meier curve* shows the share of "
    "patients still free of the event over time (relapse, or for a lymphoma progression after "
    "a response); a tick is a patient whose run ended before it (censored), and the shaded "
    "band is the 95% interval. These are simulated "
    "patients in a teaching model, not trial results: use them to reason about mechanisms, "
    "never for clinical decisions."
)


def _share_sentence(row: ShareRow, names: tuple[str, str], what: str) -> str:
    """ "<what> was more common with A (x%) than with B (y%): +d points (l to u)."""
    a, b = row.share(0), row.share(1)
    if math.isnan(a) or math.isnan(b):
        return f"{what[0].upper() + what[1:]} could not be compared: no runs to count in one arm."
    estimate = row.difference
    low, high = 100 * estimate.low, 100 * estimate.high
    points = f"{100 * abs(estimate.value):.0f} points (95% CI {low:.0f} to {high:.0f})"
    what = what[0].upper() + what[1:]
    if estimate.value == 0:
        return f"{what} was as common with {names[0]} as with {names[1]} ({percent(a)} in both)."
    more, fewer = (names[0], names[1]) if estimate.value > 0 else (names[1], names[0])
    share_more, share_fewer = (a, b) if estimate.value > 0 else (b, a)
    if estimate.excludes_zero:
        return (
            f"{what} was more common with {more} ({percent(share_more)}) than with "
            f"{fewer} ({percent(share_fewer)}), a clear difference of {points}."
        )
    return (
        f"{what} was somewhat more common with {more} ({percent(share_more)}) than "
        f"with {fewer} ({percent(share_fewer)}), but the interval of the difference, {points}, "
        "includes no difference, so these runs do not settle it."
    )


def _compare_numbers(row: NumberRow, names: tuple[str, str], bigger: str, smaller: str) -> str:
    """ "A's X was <bigger> than B's (median a vs b unit)", or "about the same"."""
    a, b = row.spread_a.median, row.spread_b.median
    if math.isnan(a) or math.isnan(b):
        return ""
    estimate = row.difference
    if a == b:
        word = "the same"
    elif not (estimate.excludes_zero or math.isnan(estimate.low)):
        word = f"slightly {bigger if a > b else smaller} (not a clear difference)"
    else:
        word = bigger if a > b else smaller
    medians = f"median {number(a)} vs {number(b)} {row.unit}"
    return f"{word} with {names[0]} than with {names[1]} ({medians})"


def plain_words(comparison: Comparison) -> str:
    """One paragraph of what differs between the arms, and why, from the numbers."""
    names = comparison.names
    shares, numbers = comparison.shares, comparison.numbers
    pairs = comparison.arms
    n = min(comparison.runs)
    design = (
        f"Each arm treated the same {n} virtual patients (replicate k on the same seed in both)."
        if pairs.paired
        else f"The arms treated {comparison.runs[0]} and {comparison.runs[1]} virtual patients."
    )
    sentences = [design]
    sentences.append(
        _share_sentence(shares["remission_day28"], names, shares["remission_day28"].label)
    )
    timing = _compare_numbers(numbers["days_to_infusion"], names, "later", "earlier")
    burden = _compare_numbers(numbers["blast_pct_at_infusion"], names, "higher", "lower")
    if timing:
        sentences.append(
            f"The CAR T-cells went in {timing}, and the {comparison.words.burden} at infusion "
            f"was {burden}."
        )
    peak = _compare_numbers(numbers["cart_peak"], names, "higher", "lower")
    persistence = _compare_numbers(numbers["cart_persistence_days"], names, "longer", "shorter")
    if peak:
        sentences.append(f"The CAR T-cell peak was {peak}, and persistence was {persistence}.")
    rejection = shares["rejection"]
    persisting = (
        numbers["cart_persistence_days"].spread_a.median,
        numbers["cart_persistence_days"].spread_b.median,
    )
    for arm in (0, 1):
        if rejection.successes[arm] and rejection.successes[1 - arm] == 0:
            shorter = persisting[arm] < persisting[1 - arm]
            sentences.append(
                f"Host T-cells attacked the CAR T-cells in {rejection.successes[arm]} of "
                f"{rejection.trials[arm]} infused {names[arm]} runs (rejection) and in none "
                f"with {names[1 - arm]}" + (", which cuts persistence short." if shorter else ".")
            )
    sentences.append(_relapse_sentence(comparison))
    sentences.append(_share_sentence(shares["crs_severe"], names, "severe CRS (grade 3-4)"))
    gvhd = shares["gvhd"]
    if gvhd.successes[0] or gvhd.successes[1]:
        sentences.append(_share_sentence(gvhd, names, "graft-versus-host disease"))
    else:
        sentences.append("No run had graft-versus-host disease.")
    return " ".join(s for s in sentences if s)


def _relapse_sentence(comparison: Comparison) -> str:
    names = comparison.names
    survival = comparison.survival
    words = comparison.words
    if not survival.testable or survival.logrank is None:
        counts = [0 if c is None else c.subjects for c in (survival.curve_a, survival.curve_b)]
        return (
            f"Too few patients were {words.responders} ({counts[0]} with {names[0]}, "
            f"{counts[1]} with {names[1]}) to compare how long they stayed {words.free}."
        )
    estimate = survival.rmst_difference
    a, b = survival.rmst_a, survival.rmst_b
    window = f"the first {survival.horizon:.0f} days after {words.onset}"
    if a == b:
        return f"Patients stayed {words.free} equally long in both arms over {window}."
    longer, shorter = (names[0], names[1]) if a > b else (names[1], names[0])
    values = f"{max(a, b):.0f} vs {min(a, b):.0f} {words.free} days on average over {window}"
    verdict = survival_verdict(estimate.excludes_zero, survival.logrank.p_value)
    return (
        f"Once {words.responders}, patients stayed {words.free} longer with {longer} than "
        f"with {shorter} ({values}; {verdict})."
    )


def survival_verdict(mean_difference_clear: bool, logrank_p: float) -> str:
    """What the runs say about relapse-free time: the restricted mean's interval and the
    log-rank test can disagree (a difference early in the curves, say); then both are said."""
    p = _p(logrank_p)
    if mean_difference_clear and logrank_p >= 0.05:
        return (
            "a clear difference in the mean, though the log-rank test over the whole "
            f"curves does not resolve one, p {p}"
        )
    if mean_difference_clear:
        return f"a clear difference, log-rank p {p}"
    if logrank_p < 0.05:
        return f"the curves differ, log-rank p {p}, but the mean difference is not clear"
    return f"not a clear difference, log-rank p {p}"


def _p(p_value: float) -> str:
    """``= 0.03`` or ``< 0.001``."""
    text = p_text(p_value)
    return text.replace("<", "< ") if text.startswith("<") else f"= {text}"
