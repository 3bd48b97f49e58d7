"""Lymphoma: the tumour microenvironment (``[microenvironment]``) and the Lugano-style
readout (``[lymphoma]``); see :mod:`agents.microenvironment` and :mod:`sim.lymphoma`.

With the defaults (hostility 0) the microenvironment changes nothing, so the leukaemia
scenarios run exactly as before; the readout is used only on a lymph node grid.
"""

from __future__ import annotations

from sim.parameters.base import Section, parameter

TME = (
    "LBCL non-response without antigen loss follows a suppressive tumour microenvironment "
    "(myeloid suppression, tumour interferon signalling: Jain et al. Blood 2021; exhausted "
    "T-cell states: Deng et al. Nat Med 2020)"
)


class MicroenvironmentParameters(Section):
    """How a dense tumour resists CAR T-cells (see :mod:`agents.microenvironment`).

    ``hostility`` is the patient's (drawn from ``patient.microenvironment_hostility``);
    the other three say what a fully hostile mass does to a T-cell surrounded by tumour.
    """

    hostility: float = parameter(
        0.0,
        ge=0.0,
        le=1.0,
        description="how hostile the tumour is to T-cells, 0 (none) to 1 (fully "
        "suppressive); scales the three effects below",
        source="0 in marrow (B-ALL: no solid mass); for LBCL the patient's draw. " + TME,
    )
    kill_suppression: float = parameter(
        0.7,
        ge=0.0,
        le=1.0,
        description="share of an effector's kill chance lost at hostility 1 when all 8 "
        "neighbours are tumour (in proportion to tumour neighbours / 8 x hostility)",
        source="TGF-beta and myeloid-derived suppressor cells cut CAR T-cell cytotoxicity "
        "several-fold in vitro (Kloss et al. Mol Ther 2018; Jain et al. Blood 2021)",
    )
    exhaustion_gain: float = parameter(
        2.0,
        ge=0.0,
        le=20.0,
        description="extra engaged hours per engaged hour at hostility 1 when surrounded by "
        "tumour: exhaustion accrues up to (1 + this) times as fast",
        source="PD-L1 and chronic stimulation in the suppressive milieu drive exhaustion "
        "(Deng et al. Nat Med 2020; Jain et al. Blood 2021); assumption: up to 3 x",
    )
    exclusion: float = parameter(
        0.6,
        ge=0.0,
        le=1.0,
        description="chance at hostility 1 that a T-cell's move onto a site holding a tumour "
        "cell fails (dense tumour and its stroma keep T-cells out)",
        source="T-cell exclusion from dense tumour and stroma (immune-excluded phenotype; "
        "Joyce & Fearon Science 2015; Scholler et al. Nat Med 2022 on LBCL T-cell "
        "infiltration); assumption: at most 60% of moves in fail",
    )
    expansion_suppression: float = parameter(
        0.0,
        ge=0.0,
        le=1.0,
        description="share of a CAR T-cell's division chance per kill lost at hostility 1, "
        "everywhere (the patient's suppressive myeloid cells act systemically): division "
        "per kill x (1 - this x hostility)",
        source="monocytic MDSCs suppress T-cell proliferation; in LBCL patients with high "
        "blood M-MDSCs axi-cel's median peak was 4 times lower (Jain et al. Blood 2021). "
        "Off (0): at 0.5 the peak ratio was 1.9 (not 4) and T15 already 54% with complete "
        "responses 28% (JULIET 40%); docs/validation.md, T15",
    )


class LymphomaParameters(Section):
    """The Lugano 2014 readout in the model's terms (:mod:`sim.lymphoma`)."""

    detection_limit_cells: float = parameter(
        1.0e9,
        gt=0.0,
        le=1.0e13,
        description="lymphoma cells (grid and residual) below which no tumour is detectable: "
        "complete (metabolic) response",
        source="PET-CT resolves lesions of about 1 cm3 (about 10^9 cells; Lugano 2014, "
        "Cheson et al. J Clin Oncol 2014)",
    )
    partial_response_share: float = parameter(
        0.5,
        gt=0.0,
        lt=1.0,
        description="partial response: tumour at most this share of its size at infusion",
        source="Lugano 2014: >= 50% decrease (Cheson et al. J Clin Oncol 2014)",
    )
    progression_growth: float = parameter(
        0.5,
        gt=0.0,
        le=10.0,
        description="progression: tumour at least (1 + this) x its smallest size since "
        "infusion, and detectable",
        source="Lugano 2014: >= 50% increase from nadir (Cheson et al. J Clin Oncol 2014)",
    )
    scan_days: list[int] = parameter(
        default_factory=lambda: [28, 91],
        description="days after infusion of the response scans up to month 3",
        source="JULIET assessed response at months 1 and 3 (Schuster et al. NEJM 2019)",
    )
