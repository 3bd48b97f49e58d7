"""Print the numbers of the scenario table in docs/model.md from a batch of the library.

    uv run main.py batch autologous donor donor_no_alemtuzumab donor_tcr_intact \\
        no_treatment autologous_no_teaching cd19_escape high_burden lymphoma classroom \\
        --replicates 24 --days 200 --out runs/library
    uv run python docs/make_scenario_table.py runs/library

One row per scenario: median infusion day and blasts at infusion (infused runs);
remission at day 28 and within 3 months among infused runs (runs that could not show it
left out); relapse (CD19-negative) among the day-28 remissions; median CAR T-cell peak
and persistence; CRS of any grade; GvHD; median rejection kills; blasts at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd


def _count(flags: pd.Series) -> str:
    observed = flags.dropna().astype(bool)
    return f"{int(observed.sum())}/{observed.size}"


def _median(values: pd.Series, digits: int = 0) -> str:
    observed = values.dropna().astype(float)
    if observed.empty:
        return "-"
    value = observed.median()
    return f"{value:.{digits}f}"


def row(runs: pd.DataFrame) -> str:
    """The table cells of one scenario's runs."""
    infused = runs[runs["infused"].astype(bool)]
    remitted = infused[infused["remission_day28"].fillna(False).astype(bool)]
    relapsed = remitted[remitted["relapse"].fillna(False).astype(bool)]
    negative = int(relapsed["relapse_cd19_negative"].fillna(False).astype(bool).sum())
    cells = [
        _median(infused["infusion_day"]),
        _median(infused["blast_pct_at_infusion"]) + "%",
        _count(infused["remission_day28"]),
        _count(infused["remission_within_3_months"]),
        f"{relapsed.shape[0]}/{remitted.shape[0]} ({negative})",
        f"{_median(infused['cart_peak'])} / {_median(infused['cart_persistence_days'])}",
        _count(infused["crs_grade"] > 0),
        _count(runs["gvhd"]),
        _median(infused["rejection_kills"]),
        _median(runs["blast_pct_final"]) + "%",
    ]
    return " | ".join(cells)


def main(folder: str) -> None:
    from study.batch.verify import verify_batch_dir

    verify_batch_dir(Path(folder), "make_scenario_table.py:")
    runs = pd.read_parquet(Path(folder) / "runs.parquet")
    print(
        "| scenario | infusion day | blasts at infusion | remission d28 | remission 3 mo |"
        " relapse (CD19-) | CAR T peak / persistence (d) | CRS any | GvHD |"
        " rejection kills | blasts at end |"
    )
    print("|---" * 11 + "|")
    for name, table in runs.groupby("scenario", sort=False):
        print(f"| `{name}` | {row(table)} |")


if __name__ == "__main__":
    from sim.errors import UserInputError

    try:
        main(sys.argv[1] if len(sys.argv) > 1 else "runs/library")
    except UserInputError as error:  # not a batch, or one that fails verification
        sys.exit(f"error: {error}")
