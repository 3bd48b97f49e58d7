"""The T-cells: CAR T-cells, the patient's native T-cells, teaching and rejection."""

from __future__ import annotations

from sim.parameters.base import CALIBRATED, Section, parameter

HYPOTHESIS = "hypothesis, not calibrated (no clinical number)"
ALLO = "assumption: donor product fails without alemtuzumab (PALL/CALM, Benjamin 2020)"


class CarTParameters(Section):
    """CAR T-cells: mobile killers of CD19-positive cells."""

    dose_cells: int = parameter(
        24,
        ge=0,
        le=100_000,
        description="cells infused (agents), when dose_per_10k_sites is not set",
        source="scaled dose: the grid cannot hold a 3,900-fold expansion (docs/model.md)",
    )
    dose_per_10k_sites: float | None = parameter(
        None,
        ge=0.0,
        le=100_000.0,
        description="cells infused per 10,000 sites (same effector-to-target ratio on any "
        "grid); when set, replaces dose_cells",
        source="scaled dose: the grid cannot hold a 3,900-fold expansion (docs/model.md)",
    )
    motility_sites_per_hour: float = parameter(
        3.0,
        ge=0.0,
        le=50.0,
        description="random-walk moves per hour (sites)",
        source="effectors in tissue 1-10 µm/min (models of effector T-cells)",
    )
    chemotaxis_bias: float = parameter(
        0.0,
        ge=0.0,
        le=1.0,
        description="chance a move goes up the antigen field",
        source="scenario setting (off: a random walk)",
    )
    kill_rate_per_day: float = parameter(
        4.0,
        ge=0.0,
        le=500.0,
        description="kills per day next to a CD19+ cell (fitness 1)",
        source="2-16 kills/d (Halle 2016); 1-20 (Weigelin 2021)",
    )
    division_prob_per_kill: float = parameter(
        0.6,
        ge=0.0,
        le=1.0,
        description="chance that a kill makes the cell divide",
        source="calibrated: T5 doubling 12-36 h with the peak on day 7-13 (Stein 2019)",
    )
    exhaustion_engaged_hours: float = parameter(
        40.0,
        gt=0.0,
        le=10000.0,
        description=(
            "hours of full engagement (every neighbour CD19+) after which an effector's"
            " line is exhausted; one CD19+ neighbour of eight counts 1/8 h an hour"
        ),
        source=(
            "exhaustion driven by antigen exposure (Sahoo et al. J R Soc Interface 2020);"
            " CAR killing wanes after ~20 h engaged (Davenport 2015); calibrated: T1, T13"
        ),
    )
    effector_half_life_days: float = parameter(
        3.5,
        gt=0.0,
        le=3650.0,
        description="effector half-life (contraction), days",
        source="T6: contraction half-life 4.3 d (Stein 2019)",
    )
    exhausted_half_life_days: float = parameter(
        1.5,
        gt=0.0,
        le=3650.0,
        description="exhausted-cell half-life, days",
        source=CALIBRATED,
    )
    memory_fraction: float = parameter(
        0.03,
        ge=0.0,
        le=1.0,
        description=(
            "chance that a daughter of a rested effector is a memory cell (scaled down by"
            " the share of exhaustion_engaged_hours its line has used)"
        ),
        source="T7: long-term phase ~0.8% of peak (Stein 2019); calibrated",
    )
    memory_half_life_days: float = parameter(
        217.0,
        gt=0.0,
        le=36500.0,
        description="memory-cell half-life, days",
        source="T7: ~217 d (Stein 2019)",
    )
    memory_budding_rate_per_day: float = parameter(
        1.5,
        ge=0.0,
        le=100.0,
        description=(
            "fresh effectors a memory cell buds per day next to a CD19+ cell (it stays memory)"
        ),
        source=(
            "memory as a self-renewing reservoir that gives rise to effectors on antigen"
            " (Kirouac et al. 2023; Hardiansyah & Ng 2019); calibrated: T7, T11"
        ),
    )
    memory_exhaustion_engaged_hours: float | None = parameter(
        40.0,
        gt=0.0,
        le=100_000.0,
        description=(
            "hours of full engagement after which a memory cell is exhausted too (it counts"
            " engaged time like an effector; a bud starts at 0 h); none: memory never tires"
        ),
        source=(
            "chronic antigen exhausts the memory-like precursors that renew exhausted"
            " lines (Wherry & Kurachi Nat Rev Immunol 2015); calibrated: T13"
        ),
    )
    memory_bud_limit: int | None = parameter(
        None,
        ge=1,
        le=1_000_000,
        description=(
            "effectors a memory cell can bud in its life (a finite self-renewal budget);"
            " after the last it is exhausted; none: no limit"
        ),
        source=(
            "replicative history limits self-renewal; functional persistence is lost in"
            " many patients within a year (Fraietta 2018; Mueller 2018); off: the replicative"
            " limit of the whole line does this job (docs/model.md)"
        ),
    )
    replicative_limit: int | None = parameter(
        40,
        ge=1,
        le=1_000,
        description=(
            "divisions a CAR T-cell line can make in the patient, counted along each line"
            " (a division or a bud ages mother and daughter by one generation); a cell at"
            " the limit no longer divides or buds, and a memory cell there is exhausted"
            " (replicative senescence); none: no limit"
        ),
        source=(
            "human T-cells stop dividing after a finite number of population doublings"
            " (about 23-40 in culture: Perillo et al. J Immunol 1989; Effros & Pawelec"
            " Immunol Today 1997), of which manufacturing (about 10 days of expansion) has"
            " spent some; products differ in this (Fraietta et al. Nat Med 2018)"
        ),
    )
    budding_min_cd19_neighbours: int = parameter(
        1,
        ge=1,
        le=8,
        description="CD19+ neighbours a memory cell needs to bud (enough local antigen)",
        source=(
            "memory cells need antigen above a threshold to be recalled; sparse B-cell"
            " precursors then fail to sustain the reservoir (Pulsipher 2022); not yet"
            " calibrated (1: any CD19+ neighbour, as before)"
        ),
    )
    homeostatic_division_rate_per_day: float = parameter(
        0.3,
        ge=0.0,
        le=10.0,
        description="divisions per day during the homeostatic boost",
        source="calibrated: T4, T5",
    )
    homeostatic_boost_days: float = parameter(
        8.0,
        ge=0.0,
        le=365.0,
        description="boost length after lymphodepletion ends, days",
        source=CALIBRATED,
    )
    cytokine_per_kill: float = parameter(
        0.3,
        ge=0.0,
        le=1000.0,
        description="cytokine released by a kill (units)",
        source="calibrated: T8 CRS of any grade (with fields.crs_grade_thresholds)",
    )
    cytokine_per_engaged_hour: float = parameter(
        0.15,
        ge=0.0,
        le=1000.0,
        description=(
            "cytokine an effector releases per hour of full engagement (every neighbour"
            " CD19+), killing or not; 0: CRS from kills alone"
        ),
        source=(
            "CAR T-cells engaged with antigen secrete IFN-gamma and GM-CSF that make"
            " monocytes release IL-6 and IL-1 (Giavridis et al. Nat Med 2018; Norelli et"
            " al. Nat Med 2018; Sterner et al. Blood 2019); 0.15, half a kill's cytokine an"
            " hour: the larger of two values tried, with which a high burden raises the CRS"
            " at any grade thresholds (T13; docs/validation.md)"
        ),
    )
    antigen_per_kill: float = parameter(
        1.0,
        ge=0.0,
        le=1000.0,
        description="antigen debris left at the site of a kill",
        source="model unit (the fresh-debris threshold is stated in it)",
    )


class NativeTParameters(Section):
    """The patient's own unmodified T-cells: naive, taught (anti-leukaemic), alloreactive."""

    normal_fraction: float = parameter(
        0.03,
        ge=0.0,
        le=1.0,
        description="share of sites holding a native T-cell when healthy",
        source=CALIBRATED,
    )
    recovery_rate_per_day: float = parameter(
        0.05,
        ge=0.0,
        le=10.0,
        description="new native T-cells per day, per missing cell",
        source="assumption: recovery over weeks (docs/model.md)",
    )
    motility_sites_per_hour: float = parameter(
        2.0,
        ge=0.0,
        le=50.0,
        description="random-walk moves per hour (sites)",
        source="naive T 18 µm/min in node (Textor 2011)",
    )
    taught_kill_rate_per_day: float = parameter(
        1.0,
        ge=0.0,
        le=500.0,
        description="kills per day next to a blast (any CD19)",
        source="hypothesis: below car_t.kill_rate_per_day (docs/model.md)",
    )
    taught_division_prob_per_kill: float = parameter(
        0.05,
        ge=0.0,
        le=1.0,
        description="chance that a taught cell's kill makes it divide",
        source=(
            "hypothesis; below 1 daughter per taught life (x kill rate x mean life 14.4 d),"
            " so teaching alone cures no one (T1, T12)"
        ),
    )
    taught_half_life_days: float = parameter(
        10.0,
        gt=0.0,
        le=3650.0,
        description="half-life of a taught (effector) cell, days",
        source=HYPOTHESIS,
    )
    taught_cytokine_per_kill: float = parameter(
        0.3,
        ge=0.0,
        le=1000.0,
        description="cytokine released by a taught cell's kill",
        source=HYPOTHESIS,
    )


class TeachingParameters(Section):
    """Teaching (epitope spreading): a switchable hypothesis, not a calibrated quantity."""

    enabled: bool = parameter(
        True,
        description="naive T-cells can be taught",
        source="hypothesis: epitope spreading (Lai 2020; Kuhn 2020)",
    )
    prob_per_hour: float = parameter(
        0.02,
        ge=0.0,
        le=1.0,
        description="chance per hour next to fresh debris or a killer",
        source=HYPOTHESIS,
    )
    secondary_prob_per_hour: float = parameter(
        0.002,
        ge=0.0,
        le=1.0,
        description="chance per hour next to a taught cell",
        source=HYPOTHESIS,
    )
    recent_kill_hours: float = parameter(
        2.0,
        gt=0.0,
        le=48.0,
        description="how long after a kill a CAR T-cell counts as having just killed, hours",
        source="a kill takes ~25 min (Cazaux 2019); window chosen (docs/model.md)",
    )
    fresh_debris_threshold: float = parameter(
        0.2,
        ge=0.0,
        le=1000.0,
        description="antigen level that counts as fresh debris",
        source=HYPOTHESIS,
    )


class RejectionParameters(Section):
    """Host-versus-graft: host T-cells that meet donor CAR T-cells may turn on them."""

    prob_per_hour: float = parameter(
        0.02,
        ge=0.0,
        le=1.0,
        description="chance per hour next to a donor cell to turn",
        source=ALLO,
    )
    kill_rate_per_day: float = parameter(
        6.0,
        ge=0.0,
        le=500.0,
        description="donor-cell kills per day by an alloreactive cell",
        source=ALLO,
    )
    alloreactive_division_prob_per_kill: float = parameter(
        0.3,
        ge=0.0,
        le=1.0,
        description="chance that an alloreactive kill makes it divide",
        source=CALIBRATED,
    )
    priming_delay_days: float = parameter(
        0.0,
        ge=0.0,
        le=60.0,
        description=(
            "days from a host T-cell's first contact with donor cells (it turns"
            " alloreactive) to its first kill: priming and clonal differentiation"
        ),
        source=(
            "a primary alloresponse takes about 5-7 days to produce cytotoxic effectors"
            " (T-cell priming kinetics); cross-reactive memory cells act within a day (Adams"
            " et al. J Clin Invest 2003): 1 day in the donor scenarios"
        ),
    )
    max_clone_divisions: int | None = parameter(
        None,
        ge=0,
        le=1000,
        description=(
            "divisions on a kill an alloreactive line (the cell that turned and all its"
            " daughters) can make in all, counting only divisions that placed a daughter"
            " (a clone's expansion is limited); none: no limit"
        ),
        source="limited clonal burst of a primary response (about a thousandfold: 10 in the "
        "donor scenarios)",
    )
    alloreactive_half_life_days: float | None = parameter(
        None,
        gt=0.0,
        le=3650.0,
        description=(
            "half-life of an alloreactive effector, days (contraction after the burst);"
            " none: native_t.taught_half_life_days"
        ),
        source="effector contraction after a primary response (5 days in the donor scenarios)",
    )
