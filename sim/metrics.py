"""What a run reports: the per-day counts and the summary record of docs/model.md.

Per-day counts are collected with Mesa's ``DataCollector`` at day 0 (before anything
happens) and at the end of each day. The summary is computed from them, so the two always
agree. Days in the summary that end in ``_day`` are counted from the infusion, except
``infusion_day`` itself (from enrolment).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from mesa import DataCollector

from agents.kinds import MobileKind, ResidentKind
from sim.lymphoma import LEUKAEMIA_RESPONSE_FIELDS, LYMPHOMA_SUMMARY_FIELDS, lymphoma_fields
from sim.model import CarTModel
from sim.patient import PATIENT_SUMMARY_FIELDS

REMISSION_BLAST_PCT = 5.0  # blasts below 5 % of the sites: complete remission
REMISSION_CHECK_DAY = 28  # days after infusion
LATE_REMISSION_CHECK_DAY = 42  # PALL/CALM assessed CR/CRi at day 28 or day 42
BEST_RESPONSE_LAST_DAY = 91  # days after infusion: "within 3 months"
REMISSION_HOLD_DAYS = 28  # ELIANA's endpoint: a remission within 3 months maintained >= 28 d
CRS_WINDOW_DAYS = 28  # CRS is graded on the days 0-28 after infusion

Reporter = Callable[[CarTModel], float | int]


def _mobile(*kinds: MobileKind) -> Reporter:
    return lambda model: sum(model.census.mobile[kind] for kind in kinds)


DAILY_REPORTERS: dict[str, Reporter] = {
    "blasts_cd19_positive": lambda m: m.census.resident[ResidentKind.BLAST_CD19_POSITIVE],
    "blasts_cd19_negative": lambda m: m.census.resident[ResidentKind.BLAST_CD19_NEGATIVE],
    "blasts": lambda m: m.census.blasts,
    "blast_pct": lambda m: 100.0 * m.census.blasts / m.tissue.n_sites,
    "b_cells": lambda m: m.census.resident[ResidentKind.B_CELL],
    "car_t_effector": _mobile(MobileKind.CAR_T_EFFECTOR, MobileKind.DONOR_CAR_T_EFFECTOR),
    "car_t_memory": _mobile(MobileKind.CAR_T_MEMORY, MobileKind.DONOR_CAR_T_MEMORY),
    "car_t_exhausted": _mobile(MobileKind.CAR_T_EXHAUSTED, MobileKind.DONOR_CAR_T_EXHAUSTED),
    "car_t_autologous": _mobile(
        MobileKind.CAR_T_EFFECTOR, MobileKind.CAR_T_MEMORY, MobileKind.CAR_T_EXHAUSTED
    ),
    "car_t_donor": _mobile(
        MobileKind.DONOR_CAR_T_EFFECTOR,
        MobileKind.DONOR_CAR_T_MEMORY,
        MobileKind.DONOR_CAR_T_EXHAUSTED,
    ),
    "car_t": lambda m: m.census.car_t,
    "native_naive": _mobile(MobileKind.NATIVE_NAIVE),
    "native_taught": _mobile(MobileKind.NATIVE_TAUGHT),
    "native_alloreactive": _mobile(MobileKind.NATIVE_ALLOREACTIVE),
    "cytokine_systemic": lambda m: m.tissue.systemic_cytokine(),
    "cytokine_peak": lambda m: m.cytokine_peak_today,
    "crs_grade": lambda m: crs_grade(
        m.cytokine_peak_today, m.parameters.fields.crs_grade_thresholds
    ),
    "kills_by_car_t": lambda m: m.census.kills_by_car_t,
    "b_cells_killed_by_car_t": lambda m: m.census.b_cells_killed_by_car_t,
    "kills_by_taught": lambda m: m.census.kills_by_taught,
    "cd19_negative_blasts_killed": lambda m: m.census.cd19_negative_blasts_killed,
    "rejection_kills": lambda m: m.census.rejection_kills,
    "teaching_events": lambda m: m.census.teaching_events,
    "gvhd_score": lambda m: m.gvhd_score,
    "residual_cd19_positive": lambda m: m.residual.cd19_positive + m.residual.sanctuary,
    "residual_cd19_negative": lambda m: m.residual.cd19_negative,
    "residual_seeded": lambda m: m.residual.seeded,
}

SUMMARY_FIELDS = (
    "seed",
    "scenario",
    "infused",
    "infusion_day",
    "blast_pct_at_enrolment",
    "blast_pct_at_infusion",
    "cart_infused",
    "remission_day28",
    "remission_day28_or_42",
    "mrd_negative_day28",
    "remission_within_3_months",
    "mrd_negative_within_3_months",
    "remission_sustained_within_3_months",
    "unobserved_reason",
    "relapse",
    "relapse_day",
    "relapse_cd19_negative",
    "relapse_cause",
    "cart_peak",
    "cart_peak_day",
    "cart_persistence_days",
    "b_cell_aplasia_days",
    "crs_grade",
    "crs_onset_day",
    "gvhd",
    "rejection_kills",
    "teaching_events",
    "taught_peak",
)
EXTRA_SUMMARY_FIELDS = (
    "days_simulated",
    "manufacturing_days",
    "blast_pct_final",
    "kills_by_car_t",
    "kills_by_taught",
    "cd19_negative_blasts_killed",
    "gvhd_score",
    "residual_final",
)


def crs_grade(systemic_cytokine: float, thresholds: list[float]) -> int:
    """CRS grade 0-4: how many of the four thresholds the systemic level has reached."""
    return int(np.searchsorted(np.asarray(thresholds), systemic_cytokine, side="right"))


def make_collector() -> DataCollector:
    """A Mesa DataCollector of the per-day counts."""
    return DataCollector(model_reporters=dict(DAILY_REPORTERS))


def daily_table(collector: DataCollector) -> pd.DataFrame:
    """The collected days as a table: one row a day, ``day`` first."""
    table = collector.get_model_vars_dataframe().reset_index(drop=True)
    table.insert(0, "day", np.arange(len(table), dtype=np.int64))
    return table


def summarise(model: CarTModel, daily: pd.DataFrame) -> dict[str, Any]:
    """The summary record of one run: SUMMARY_FIELDS, EXTRA_SUMMARY_FIELDS, the lymphoma
    fields (:mod:`sim.lymphoma`; null for a leukaemia run), then the patient's
    PATIENT_SUMMARY_FIELDS (:mod:`sim.patient`), in order. A lymphoma run is judged
    by lymphoma's readout: its leukaemia response fields are null."""
    record = _summary_values(model, daily)
    record.update(model.patient.summary_fields())
    lymphoma = lymphoma_fields(model, daily)
    if lymphoma["lymphoma_detection_limit"] is not None:  # a lymph node run
        record.update(dict.fromkeys(LEUKAEMIA_RESPONSE_FIELDS))
        record["unobserved_reason"] = None
    record.update(lymphoma)
    fields = (
        *SUMMARY_FIELDS,
        *EXTRA_SUMMARY_FIELDS,
        *LYMPHOMA_SUMMARY_FIELDS,
        *PATIENT_SUMMARY_FIELDS,
    )
    return {name: record[name] for name in fields}


def _summary_values(model: CarTModel, daily: pd.DataFrame) -> dict[str, Any]:
    plan = model.plan
    last = daily.iloc[-1]
    record: dict[str, Any] = {
        "seed": model.seed,
        "scenario": model.parameters.name,
        "infused": plan.infused,
        "infusion_day": plan.infusion_day,
        "blast_pct_at_enrolment": float(daily.iloc[0]["blast_pct"]),
        "blast_pct_at_infusion": None,
        "cart_infused": None,
        "remission_day28": False,
        "remission_day28_or_42": False,
        "mrd_negative_day28": False,
        "remission_within_3_months": False,
        "mrd_negative_within_3_months": False,
        "remission_sustained_within_3_months": False,
        "unobserved_reason": None,
        "relapse": False,
        "relapse_day": None,
        "relapse_cd19_negative": False,
        "relapse_cause": None,
        "cart_peak": int(daily["car_t"].max()),
        "cart_peak_day": None,
        "cart_persistence_days": None,
        "b_cell_aplasia_days": 0,
        "crs_grade": 0,
        "crs_onset_day": None,
        "gvhd": bool(model.gvhd_score > model.parameters.therapy.gvhd_threshold),
        "rejection_kills": int(last["rejection_kills"]),
        "teaching_events": int(last["teaching_events"]),
        "taught_peak": int(daily["native_taught"].max()),
        "days_simulated": int(last["day"]),
        "manufacturing_days": (
            None if plan.manufacturing_days is None else round(plan.manufacturing_days, 3)
        ),
        "blast_pct_final": float(last["blast_pct"]),
        "kills_by_car_t": int(last["kills_by_car_t"]),
        "kills_by_taught": int(last["kills_by_taught"]),
        "cd19_negative_blasts_killed": int(last["cd19_negative_blasts_killed"]),
        "gvhd_score": float(model.gvhd_score),
        "residual_final": float(last["residual_cd19_positive"] + last["residual_cd19_negative"]),
    }
    if plan.infusion_day is None:
        return record
    if plan.infusion_day > record["days_simulated"]:
        _unobserved(record, "run ended before infusion", within_3_months=True)
        return record
    infusion = plan.infusion_day
    blasts_at_infusion = model.therapy.blasts_at_infusion
    if blasts_at_infusion is not None:
        record["blast_pct_at_infusion"] = 100.0 * blasts_at_infusion / model.tissue.n_sites
    record["cart_infused"] = model.therapy.cells_infused
    after = daily[daily["day"] >= infusion].reset_index(drop=True)
    days_after = after["day"].to_numpy() - infusion
    _response(record, after, days_after)
    _car_t_kinetics(record, after, days_after)
    baseline = model.b_cells_at_start
    aplasia = after["b_cells"].to_numpy() < model.parameters.b_cells.aplasia_threshold * baseline
    record["b_cell_aplasia_days"] = int(aplasia[1:].sum()) if baseline else 0
    window = days_after <= CRS_WINDOW_DAYS
    grades = after["crs_grade"].to_numpy()[window]
    record["crs_grade"] = int(grades.max())
    if grades.max() > 0:
        record["crs_onset_day"] = int(days_after[window][np.argmax(grades > 0)])
    return record


def _response(record: dict[str, Any], after: pd.DataFrame, days_after: np.ndarray) -> None:
    """Remission and MRD at day 28 and within 3 months; relapse (blasts back to >= 5 %).

    A response the run did not last long enough to see is None, with the reason in
    ``unobserved_reason``; remission or MRD negativity within 3 months is True as soon
    as it is seen.
    """
    window = after[days_after <= BEST_RESPONSE_LAST_DAY]
    remission_seen = bool((window["blast_pct"] < REMISSION_BLAST_PCT).any())
    mrd_seen = bool((window["blasts"] == 0).any())
    window_complete = bool(days_after.max() >= BEST_RESPONSE_LAST_DAY)
    record["remission_within_3_months"] = remission_seen or (None if not window_complete else False)
    record["mrd_negative_within_3_months"] = mrd_seen or (None if not window_complete else False)
    sustained = sustained_remission(after["blast_pct"].to_numpy() < REMISSION_BLAST_PCT)
    record["remission_sustained_within_3_months"] = sustained
    if sustained is None:
        record["unobserved_reason"] = (
            f"run ended before a remission could last {REMISSION_HOLD_DAYS} days"
        )
    check = np.flatnonzero(days_after == REMISSION_CHECK_DAY)
    if check.size == 0:
        _unobserved(record, f"run ended before day {REMISSION_CHECK_DAY} after infusion", False)
        return
    if not window_complete and not (remission_seen and mrd_seen):
        record["unobserved_reason"] = (
            f"run ended before day {BEST_RESPONSE_LAST_DAY} after infusion"
        )
    row = after.iloc[int(check[0])]
    record["remission_day28"] = bool(row["blast_pct"] < REMISSION_BLAST_PCT)
    record["mrd_negative_day28"] = bool(row["blasts"] == 0)
    late = np.flatnonzero(days_after == LATE_REMISSION_CHECK_DAY)
    late_remission = bool(late.size) and bool(
        after["blast_pct"].iloc[int(late[0])] < REMISSION_BLAST_PCT
    )
    if record["remission_day28"] or late_remission:
        record["remission_day28_or_42"] = True
    elif late.size == 0:
        record["remission_day28_or_42"] = None
    if not record["remission_day28"]:
        return
    later = after.iloc[int(check[0]) + 1 :]
    relapsed = later[later["blast_pct"] >= REMISSION_BLAST_PCT]
    if relapsed.empty:
        return
    first = relapsed.iloc[0]
    record["relapse"] = True
    record["relapse_day"] = int(first["day"] - after["day"].iloc[0])
    record["relapse_cd19_negative"] = bool(
        first["blasts_cd19_negative"] > first["blasts_cd19_positive"]
    )
    record["relapse_cause"] = relapse_cause(first)


def relapse_cause(relapse_row: pd.Series) -> str:
    """Why a relapse came, as the daily table shows it on the relapse day.

    ``cd19_negative``: most blasts are CD19-negative (antigen escape). Otherwise a
    CD19-positive relapse: ``rejection`` (donor cells, none functional left, after
    rejection kills), ``car_t_loss`` (no functional CAR T-cell, effector or memory, left),
    ``outgrowth`` (functional CAR T-cells present but outrun, e.g. by seeding from the
    residual compartment).
    """
    if relapse_row["blasts_cd19_negative"] > relapse_row["blasts_cd19_positive"]:
        return "cd19_negative"
    functional = relapse_row["car_t_effector"] + relapse_row["car_t_memory"]
    if functional > 0:
        return "outgrowth"
    if relapse_row["rejection_kills"] > 0:
        return "rejection"
    return "car_t_loss"


def sustained_remission(
    in_remission: np.ndarray,
    last_start_day: int = BEST_RESPONSE_LAST_DAY,
    hold_days: int = REMISSION_HOLD_DAYS,
) -> bool | None:
    """ELIANA's primary endpoint for one run: a remission that starts within 3 months of
    infusion and is maintained for at least 28 days.

    ``in_remission[d]`` says whether day ``d`` after infusion (0 = the infusion day) was
    in remission. True when some day ``s <= last_start_day`` starts ``hold_days``
    consecutive days in remission; None when the run ended before that could be decided
    (a remission still running at the end that could yet last long enough, or the run
    ended before ``last_start_day``); False otherwise.
    """
    days = in_remission.size
    run_length = np.zeros(days + 1, dtype=np.int64)  # remission days in a row from each day
    for day in range(days - 1, -1, -1):
        run_length[day] = run_length[day + 1] + 1 if in_remission[day] else 0
    starts = np.arange(min(days, last_start_day + 1))
    if (run_length[starts] >= hold_days).any():
        return True
    # a remission that began in time and is still running when the run ends may yet last
    still_open = ((run_length[starts] > 0) & (run_length[starts] == days - starts)).any()
    if still_open or days <= last_start_day:
        return None
    return False


def _unobserved(record: dict[str, Any], reason: str, within_3_months: bool) -> None:
    """The run ended too early to see day 28 (and, if ``within_3_months``, any response)."""
    record["unobserved_reason"] = reason
    for name in (
        "remission_day28",
        "remission_day28_or_42",
        "mrd_negative_day28",
        "relapse",
        "relapse_cd19_negative",
    ):
        record[name] = None
    if within_3_months:
        record["remission_within_3_months"] = None
        record["mrd_negative_within_3_months"] = None
        record["remission_sustained_within_3_months"] = None


def _car_t_kinetics(record: dict[str, Any], after: pd.DataFrame, days_after: np.ndarray) -> None:
    """Peak size and day, and the last day a CAR T-cell was alive, after infusion."""
    car_t = after["car_t"].to_numpy()
    if car_t.max() == 0:
        return
    record["cart_peak"] = int(car_t.max())
    record["cart_peak_day"] = int(days_after[np.argmax(car_t)])
    record["cart_persistence_days"] = int(days_after[np.flatnonzero(car_t > 0)[-1]])
