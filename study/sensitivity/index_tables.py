"""The indices as tables: one long CSV, and a markdown page with one table per output."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from study.sensitivity.analysis import OutputIndices
from study.sensitivity.design import Design

INDICES_CSV = "indices.csv"
INDICES_MD = "indices.md"


def indices_frame(results: Sequence[OutputIndices]) -> pd.DataFrame:
    """One row per output and parameter: the indices, then the output's noise and counts."""
    frames = []
    for result in results:
        if result.indices is None:
            continue
        frame = result.indices.copy()
        frame.insert(0, "output", result.output)
        frame.insert(1, "column", result.column)
        frame["noise_se"] = result.noise_se
        frame["noise_share"] = result.noise_share
        frame["noise_floor"] = result.noise_floor
        frame["runs_used"] = result.runs_used
        frame["null_runs"] = result.null_runs
        frame["groups_dropped"] = result.groups_dropped
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3g}"


def _flag(value: object) -> str:
    return {True: "yes", False: "**no**"}.get(value, "n/a")  # type: ignore[arg-type]


def _heading(result: OutputIndices, method: str) -> list[str]:
    lines = [f"### {result.output}" + (f" (`{result.column}`)" if result.column else "")]
    if result.column is None or result.indices is None:
        return [*lines, "", f"No indices: {result.note}."]
    noise = (
        "replicate noise not measured (one replicate per point)"
        if result.noise_se is None
        else f"replicate noise: standard error {_number(result.noise_se)}"
        + (
            f", Morris noise floor of mu* {_number(result.noise_floor)}"
            if method == "morris"
            else f", {_number(result.noise_share)} of the variance"
        )
    )
    groups = "trajectories" if method == "morris" else "base samples"
    return [
        *lines,
        "",
        *([f"Note: {result.note}.", ""] if result.note else []),
        f"{result.runs_used} runs used; {result.null_runs} runs did not observe it (excluded); "
        f"{result.groups_dropped} {groups} left out; {noise}.",
    ]


def indices_markdown(design: Design, results: Sequence[OutputIndices]) -> str:
    """A markdown page: the design, then per output its indices sorted by importance."""
    method = design.method
    ranges = "\n".join(f"- {item.describe()} ({item.source})" for item in design.ranges)
    if method == "morris":
        intro = (
            f"Morris elementary effects, {design.samples} trajectories of {len(design.ranges) + 1} "
            "points. mu* is the mean absolute elementary effect: the output's change over a "
            "step of 2/3 of the parameter's range, divided by 2/3 (so per whole range; 95% "
            "bootstrap interval); sigma its spread (interactions, curvature). "
            "*above noise*: mu* minus its interval exceeds what the replicate "
            "noise alone gives."
        )
    else:
        intro = (
            f"Sobol' indices, N = {design.samples} base samples ({len(design.ranges) + 2} "
            "points each). S1: the share of the output's variance due to the parameter alone; "
            "ST: including its interactions (95% bootstrap intervals). *above noise*: the "
            "interval's lower end exceeds 0 (S1) or the noise's share of variance (ST)."
        )
    lines = [
        f"## Sensitivity of {design.scenario} ({method})",
        "",
        intro,
        "",
        "Ranges:",
        "",
        ranges,
    ]
    for result in results:
        lines += ["", *_heading(result, method)]
        if result.indices is None:
            continue
        frame = result.indices
        if method == "morris":
            frame = frame.sort_values("mu_star", ascending=False)
            lines += [
                "",
                "| parameter | mu* | 95% interval | sigma | mu | above noise |",
                "|---|---:|---:|---:|---:|:---:|",
            ]
            for row in frame.itertuples():
                lines.append(
                    f"| `{row.parameter}` | {_number(row.mu_star)} | ± {_number(row.mu_star_conf)} "
                    f"| {_number(row.sigma)} | {_number(row.mu)} | {_flag(row.above_noise)} |"
                )
        else:
            frame = frame.sort_values("ST", ascending=False)
            lines += [
                "",
                "| parameter | S1 | 95% interval | ST | 95% interval "
                "| S1 above noise | ST above noise |",
                "|---|---:|---:|---:|---:|:---:|:---:|",
            ]
            for row in frame.itertuples():
                lines.append(
                    f"| `{row.parameter}` | {_number(row.S1)} | ± {_number(row.S1_conf)} "
                    f"| {_number(row.ST)} | ± {_number(row.ST_conf)} "
                    f"| {_flag(row.S1_above_noise)} | {_flag(row.ST_above_noise)} |"
                )
    return "\n".join(lines) + "\n"
