"""How long alemtuzumab keeps the host's T-cells down after a donor infusion.

Alemtuzumab (anti-CD52) kills CD52-positive lymphocytes while its blood level is above a
lytic level: in vivo 0.1-0.16 µg/mL (Marsh et al. Blood 2016). The model takes the level
that held alloreactive T-cells back in that study, 0.16 µg/mL: after transplants with
the same antibody, acute GvHD (donor T-cells attacking the host, the mirror image of the
host T-cells attacking a donor graft here) struck 68% of patients whose day-0 level was
at most 0.15 µg/mL and 18% of those at 0.16 or above. It leaves the blood by first-order
elimination with a half-life of about 11 days in children (Cancer Chemother Pharmacol
2020), so a level ``c0`` on the day of the infusion stays lytic for ``half_life x
log2(c0 / lytic)`` days. The level on the day of the graft varies about fivefold between
patients (interquartile range 0.33-1.82 µg/mL, median 0.77, after the same conditioning:
Blood Adv 2023;7:4462), chiefly because the antibody is used up faster by a patient with
more lymphocytes (target-mediated clearance). A patient whose level is already below the
lytic level on the day of the infusion gets no protection after it: the host T-cells
that survived the conditioning recover at once and can reject the graft
(host-versus-graft rejection was the cause of non-expansion named in CALM: Dupouy et al.
Cancer Res Commun 2022).

The level a patient draws (``patient.alemtuzumab_level_at_infusion``) sets three things,
all from the same first-order elimination: the days after the infusion that host T-cells
stay down (:func:`lytic_days_after_infusion`, which :mod:`sim.patient` writes into
``lymphodepletion.alemtuzumab_recovery_delay_days``), the share of host T-cells the
conditioning's alemtuzumab removed (:func:`conditioning_kill_fraction`, written into
``lymphodepletion.alemtuzumab_native_t_kill_fraction``), and the day the window opens
(:func:`lytic_days_before_infusion`, read by :meth:`sim.therapy.Therapy.start_of_day`).
"""

from __future__ import annotations

import math


def lytic_days_after_infusion(
    level_at_infusion_ug_per_ml: float, half_life_days: float, lytic_level_ug_per_ml: float
) -> float:
    """Days after the infusion that alemtuzumab stays at or above its lytic level.

    Args:
        level_at_infusion_ug_per_ml: the blood level on the day of the infusion, µg/mL.
        half_life_days: the elimination half-life, days.
        lytic_level_ug_per_ml: the least level that still kills CD52-positive cells, µg/mL.

    Returns:
        ``half_life_days x log2(level / lytic)``, or 0 when the level is not above the
        lytic level.
    """
    if level_at_infusion_ug_per_ml <= lytic_level_ug_per_ml:
        return 0.0
    return half_life_days * math.log2(level_at_infusion_ug_per_ml / lytic_level_ug_per_ml)


def lytic_days_before_infusion(
    level_at_infusion_ug_per_ml: float,
    half_life_days: float,
    lytic_level_ug_per_ml: float,
    conditioning_days: int,
) -> float:
    """Days of the conditioning (the ``conditioning_days`` before the infusion) on which
    alemtuzumab was lytic, counting back from its level on the day of the infusion with
    the same elimination: the level ``t`` days before was ``level x 2^(t / half_life)``
    (a simplification: the doses within the conditioning are not followed one by one).
    All of them for a level at or above the lytic level; fewer, or none, below it."""
    if level_at_infusion_ug_per_ml >= lytic_level_ug_per_ml:
        return float(conditioning_days)
    if level_at_infusion_ug_per_ml <= 0.0:
        return 0.0
    below_for_days = half_life_days * math.log2(lytic_level_ug_per_ml / level_at_infusion_ug_per_ml)
    return max(0.0, conditioning_days - below_for_days)


def conditioning_kill_fraction(
    full_kill_fraction: float,
    level_at_infusion_ug_per_ml: float,
    half_life_days: float,
    lytic_level_ug_per_ml: float,
    conditioning_days: int,
) -> float:
    """Share of host T-cells the conditioning's alemtuzumab removes, given the days of it
    on which the level was lytic (:func:`lytic_days_before_infusion`).

    A patient lytic on every conditioning day loses ``full_kill_fraction``; one lytic on
    fewer keeps more: the share surviving is ``(1 - full)^(lytic days / conditioning
    days)``. Such a patient keeps host T-cells that can reject the graft from its first
    day, as without alemtuzumab (no expansion and no response in the PALL/CALM patients
    given none; less host T-cell exposure with more alemtuzumab: Dupouy et al. Cancer
    Res Commun 2022).
    """
    lytic_days = lytic_days_before_infusion(
        level_at_infusion_ug_per_ml, half_life_days, lytic_level_ug_per_ml, conditioning_days
    )
    if lytic_days >= conditioning_days:
        return full_kill_fraction
    return 1.0 - (1.0 - full_kill_fraction) ** (lytic_days / conditioning_days)
