"""Read a finished batch directory into one table per arm, ready for the comparison.

Each arm's table has one row per run (virtual patient), indexed by replicate, with the
outcomes the report needs derived from the summary record and the daily counts. A value
that was not observed in a run is None (for example remission at day 28 in a run that
ended before day 28 after infusion); it is left out of every denominator.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UserInputError
from sim.lymphoma import RESPONDING
from sim.metrics import REMISSION_BLAST_PCT, REMISSION_CHECK_DAY
from sim.population import population_name
from study.batch.store import MANIFEST_FILE
from study.batch.store import RUNS_PARQUET as RUNS_FILE
from study.batch.store import TIMESERIES_PARQUET as TIMESERIES_FILE
from study.batch.verify import verify_batch

MANIFEST_FORMAT_PREFIX = "cartsim-batch/"
SEVERE_CRS_GRADE = 3
BEST_RESPONSE_FIELD = "remission_within_3_months"
TIMESERIES_COLUMNS = ["scenario", "replicate", "day", "blast_pct", "car_t"]


@dataclass(frozen=True)
class Arm:
    """One arm of the comparison.

    Attributes:
        name: the scenario as named in the batch.
        outcomes: one row per run, indexed by replicate (see :func:`derive_outcomes`).
        car_t_by_day: one row per infused run and day after infusion (``run``, ``day``
            counted from the infusion, ``car_t`` cells on the grid).
    """

    name: str
    outcomes: pd.DataFrame
    car_t_by_day: pd.DataFrame


@dataclass(frozen=True)
class ArmPair:
    """The two arms of a batch and how their runs pair up.

    Attributes:
        a, b: the arms, in the order asked for.
        paired: True when every replicate present in both arms ran on the same seed in
            both (common random numbers): then outcomes are compared pair by pair.
        pairing_note: one sentence saying how runs pair up, for the report.
        batch_dir: the batch directory.
        manifest: the batch's manifest.json.
        complete: whether the batch finished every planned run.
        best_response_recorded: whether the summary has ``remission_within_3_months``.
    """

    a: Arm
    b: Arm
    paired: bool
    pairing_note: str
    batch_dir: Path
    manifest: dict[str, Any]
    complete: bool
    best_response_recorded: bool

    @property
    def common_replicates(self) -> list[int]:
        """Replicates present in both arms, ascending."""
        return sorted(set(self.a.outcomes.index) & set(self.b.outcomes.index))


def read_manifest(batch_dir: Path) -> dict[str, Any]:
    """The batch manifest; a UserInputError if ``batch_dir`` is not a batch directory."""
    if not batch_dir.is_dir():
        raise UserInputError(f"compare --from {batch_dir}: no such directory")
    path = batch_dir / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise UserInputError(
            f"compare --from {batch_dir}: not a batch directory (no {MANIFEST_FILE}); "
            "give the --out folder of `main.py batch` or `main.py compare`"
        ) from None
    except (OSError, ValueError) as error:
        raise UserInputError(
            f"compare --from {batch_dir}: unreadable {MANIFEST_FILE} ({error})"
        ) from None
    if not isinstance(manifest, dict) or not str(manifest.get("format", "")).startswith(
        MANIFEST_FORMAT_PREFIX
    ):
        raise UserInputError(f"compare --from {batch_dir}: {MANIFEST_FILE} is not a batch manifest")
    return manifest


def load_arms(batch_dir: Path | str, arm_a: str | None = None, arm_b: str | None = None) -> ArmPair:
    """Read ``batch_dir`` and derive the two arms' tables.

    Without arm names the batch must hold exactly two scenarios (taken in batch order).
    Refused with one line (UserInputError): not a batch, a batch with sweeps, an arm
    missing from the batch, an arm without any finished run.
    """
    batch_dir = Path(batch_dir)
    manifest = read_manifest(batch_dir)
    if manifest.get("sweeps"):
        raise UserInputError(
            f"compare --from {batch_dir}: the batch has sweeps; compare needs a batch of "
            "replicates without --sweep"
        )
    runs_path, series_path = batch_dir / RUNS_FILE, batch_dir / TIMESERIES_FILE
    if not runs_path.exists() or not series_path.exists():
        raise UserInputError(
            f"compare --from {batch_dir}: no {RUNS_FILE} or {TIMESERIES_FILE} yet; run the "
            "batch command again to finish it"
        )
    verify_batch(batch_dir, manifest, "compare --from")  # then scenario_names, complete hold
    names = [str(name) for name in manifest["scenario_names"]]
    if arm_a is None or arm_b is None:
        if len(names) != 2:
            raise UserInputError(
                f"compare --from {batch_dir}: the batch holds {len(names)} "
                f"scenario{'' if len(names) == 1 else 's'} ({', '.join(names)}); "
                + (
                    "a comparison needs a batch of two"
                    if len(names) < 2
                    else "name the two arms: compare A B --from DIR"
                )
            )
        arm_a, arm_b = names
    # a scenario given as a path is named by its file's stem in the batch
    arm_a, arm_b = (
        Path(arm).stem if arm not in names and Path(arm).stem in names else arm
        for arm in (arm_a, arm_b)
    )
    for arm in (arm_a, arm_b):
        if arm not in names:
            raise UserInputError(
                f"compare --from {batch_dir}: the batch lacks arm {arm!r}; it holds "
                f"{', '.join(repr(n) for n in names)}"
            )
    if arm_a == arm_b:
        raise UserInputError(f"compare: the two arms are both {arm_a!r}; name two scenarios")
    runs = pd.read_parquet(runs_path)
    series = pd.read_parquet(
        series_path, columns=TIMESERIES_COLUMNS, filters=[("scenario", "in", [arm_a, arm_b])]
    )
    arms = []
    for name in (arm_a, arm_b):
        arm_runs = runs[runs["scenario"] == name].set_index("replicate").sort_index()
        if arm_runs.empty:
            raise UserInputError(f"compare --from {batch_dir}: arm {name!r} has no finished run")
        arms.append(_arm(name, arm_runs, series[series["scenario"] == name]))
    paired, note = _pairing(arms[0], arms[1], runs)
    note = f"{note} {_population_note(manifest)}"
    return ArmPair(
        a=arms[0],
        b=arms[1],
        paired=paired,
        pairing_note=note,
        batch_dir=batch_dir,
        manifest=manifest,
        complete=bool(manifest["complete"]),
        best_response_recorded=BEST_RESPONSE_FIELD in runs.columns,
    )


def _pairing(a: Arm, b: Arm, runs: pd.DataFrame) -> tuple[bool, str]:
    common = sorted(set(a.outcomes.index) & set(b.outcomes.index))
    seeds_a = runs[runs["scenario"] == a.name].set_index("replicate")["seed"]
    seeds_b = runs[runs["scenario"] == b.name].set_index("replicate")["seed"]
    if common and all(int(seeds_a[k]) == int(seeds_b[k]) for k in common):
        left_out = len(a.outcomes) + len(b.outcomes) - 2 * len(common)
        extra = (
            f" ({left_out} runs without a partner are left out of paired tests)" if left_out else ""
        )
        return True, (
            f"Paired design: replicate k ran on the same seed in both arms, so the {len(common)} "
            f"pairs share their random numbers; yes/no outcomes are "
            f"compared pair by pair with McNemar's exact test{extra}."
        )
    return False, (
        "Unpaired: the replicates of the two arms do not share seeds, so the arms are "
        "compared as independent groups (Fisher's exact test)."
    )


def _population_note(manifest: dict[str, Any]) -> str:
    """Which patients the arms enrolled (``--patients``), from the batch's overrides."""
    sources = [str(entry.get("source", "")) for entry in manifest.get("sets", [])]
    name = population_name(sources)
    if name is None:
        return (
            "Each arm enrolled the patients of its own scenario's population (the arms may "
            "differ in their patients as well as in their treatment)."
        )
    return (
        f"Both arms enrolled the patients of {name}'s population (--patients shared): the "
        "same burden, leukaemia and host response at each seed; the product's fitness and "
        "alemtuzumab's effect stay with each arm."
    )


def _value(value: Any) -> Any:
    """A table cell as a plain Python value, None for a missing one."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _arm(name: str, runs: pd.DataFrame, series: pd.DataFrame) -> Arm:
    by_run = {int(k): group for k, group in series.groupby("replicate")}
    rows = {}
    kinetics = []
    for replicate, run in runs.iterrows():
        record = {key: _value(run[key]) for key in runs.columns}
        daily = by_run.get(int(replicate))
        rows[int(replicate)] = derive_outcomes(record, daily)
        day = rows[int(replicate)]["infusion_day_in_run"]
        if day is not None and daily is not None:
            after = daily[daily["day"] >= day]
            kinetics.append(
                pd.DataFrame(
                    {
                        "run": int(replicate),
                        "day": after["day"].to_numpy() - day,
                        "car_t": after["car_t"].to_numpy(),
                    }
                )
            )
    outcomes = pd.DataFrame.from_dict(rows, orient="index").sort_index()
    outcomes.index.name = "replicate"
    car_t = (
        pd.concat(kinetics, ignore_index=True)
        if kinetics
        else pd.DataFrame({"run": [], "day": [], "car_t": []})
    )
    return Arm(name, outcomes.astype(object).where(outcomes.notna(), None), car_t)


def derive_outcomes(record: dict[str, Any], daily: pd.DataFrame | None) -> dict[str, Any]:
    """The report's outcomes of one run from its summary record and daily counts.

    Days after infusion unless named otherwise. Remission, MRD and best response count
    every enrolled run (a run never infused is not in remission); non-response counts
    infused runs; relapse counts day-28 remissions; relapse-free survival starts on the
    first day after infusion with blasts below 5 % (remission onset) and is censored at
    the end of the run; safety and kinetics count infused runs.
    """
    days = int(record["days_simulated"])
    planned = record["infusion_day"] if record.get("infused") else None
    infused = planned is not None and planned <= days
    assessed = infused and planned + REMISSION_CHECK_DAY <= days
    never_infused = planned is None
    remission = bool(record["remission_day28"]) if assessed else (False if never_infused else None)
    out: dict[str, Any] = {
        "manufacturing_failed": never_infused and record.get("manufacturing_days") is not None,
        "infused": bool(infused),
        "infusion_day_in_run": planned if infused else None,
        "days_to_infusion": planned if infused else None,  # observed: the run reached it
        "blast_pct_at_infusion": record.get("blast_pct_at_infusion") if infused else None,
        "remission_day28": remission,
        "mrd_negative_day28": (
            bool(record["mrd_negative_day28"]) if assessed else (False if never_infused else None)
        ),
        "best_response": None,
        "non_response": (not record["remission_day28"]) if assessed else None,
        "relapse": bool(record["relapse"]) if remission else None,
        "relapse_cd19_negative": (
            bool(record["relapse_cd19_negative"]) if remission and record["relapse"] else None
        ),
        "rfs_days": None,
        "rfs_event": None,
        "lymphoma": record.get("lymphoma_detection_limit") is not None,
    }
    if BEST_RESPONSE_FIELD in record:
        best = record[BEST_RESPONSE_FIELD]
        out["best_response"] = False if never_infused and best is None else best
    if record.get("lymphoma_detection_limit") is not None:  # a lymphoma: Lugano's words
        out.update(_lymphoma_outcomes(record, infused, never_infused, days, planned))
    elif remission:
        onset = _remission_onset(daily, planned)
        end = record["relapse_day"] if record["relapse"] else days - planned
        if onset is not None and end is not None:
            out["rfs_days"] = float(end - onset)
            out["rfs_event"] = bool(record["relapse"])
    out.update(_safety_and_kinetics(record, infused, days, planned))
    return out


def _lymphoma_outcomes(
    record: dict[str, Any], infused: bool, never_infused: bool, days: int, planned: int | None
) -> dict[str, Any]:
    """A lymphoma run's outcomes in the leukaemia rows' places (:mod:`sim.lymphoma`):
    response (CR or PR) at the day-28 scan for "remission at day 28", CR then for "MRD
    negative", the overall response by month 3 for "best response", progression after a
    response for "relapse" (CD19-negative when that is its cause); relapse-free survival
    runs from the first responding scan to progression."""
    day28 = record.get("lymphoma_response_day28")
    not_seen = False if never_infused else None
    responded = day28 in RESPONDING if day28 is not None else not_seen
    progression = record.get("lymphoma_progression")
    overall = record.get("lymphoma_overall_response")
    out: dict[str, Any] = {
        "remission_day28": responded,
        "mrd_negative_day28": day28 == "CR" if day28 is not None else not_seen,
        "best_response": False if never_infused and overall is None else overall,
        "non_response": (not responded) if day28 is not None else None,
        "relapse": bool(progression) if responded else None,
        "relapse_cd19_negative": (
            record.get("lymphoma_progression_cause") == "cd19_negative"
            if responded and progression
            else None
        ),
    }
    if responded and infused and planned is not None:
        onset = REMISSION_CHECK_DAY  # the day-28 scan
        end = record["lymphoma_progression_day"] if progression else days - planned
        out["rfs_days"] = float(end - onset)
        out["rfs_event"] = bool(progression)
    return out


def _remission_onset(daily: pd.DataFrame | None, infusion_day: int) -> int | None:
    """First day after infusion with blasts below 5 % of the sites (None without counts)."""
    if daily is None:
        return None
    after = daily[(daily["day"] >= infusion_day) & (daily["blast_pct"] < REMISSION_BLAST_PCT)]
    return None if after.empty else int(after["day"].min()) - infusion_day


def _safety_and_kinetics(
    record: dict[str, Any], infused: bool, days: int, planned: int | None
) -> dict[str, Any]:
    if not infused or planned is None:
        keys = (
            "cart_peak", "cart_peak_day", "cart_persistence_days", "persistence_censored",
            "crs_grade", "crs_any", "crs_severe", "gvhd", "b_cell_aplasia_days", "rejection",
            "rejection_kills",
        )  # fmt: skip
        return dict.fromkeys(keys)
    persistence = record.get("cart_persistence_days")
    grade = int(record["crs_grade"])
    return {
        "cart_peak": record.get("cart_peak"),
        "cart_peak_day": record.get("cart_peak_day"),
        "cart_persistence_days": persistence,
        "persistence_censored": persistence is not None and persistence >= days - planned,
        "crs_grade": grade,
        "crs_any": grade > 0,
        "crs_severe": grade >= SEVERE_CRS_GRADE,
        "gvhd": bool(record["gvhd"]),
        "b_cell_aplasia_days": record.get("b_cell_aplasia_days"),
        "rejection": int(record.get("rejection_kills") or 0) > 0,
        "rejection_kills": record.get("rejection_kills"),
    }
