"""A whole scenario: a name, a description and every table of parameters."""

from __future__ import annotations

from pydantic import Field

from sim.parameters.base import Section
from sim.parameters.cells import (
    CarTParameters,
    NativeTParameters,
    RejectionParameters,
    TeachingParameters,
)
from sim.parameters.lymphoma import LymphomaParameters, MicroenvironmentParameters
from sim.parameters.patient_distributions import PatientParameters
from sim.parameters.residual import ResidualParameters
from sim.parameters.tissue_tables import (
    BCellParameters,
    FieldParameters,
    GridParameters,
    LeukaemiaParameters,
    TimeParameters,
)
from sim.parameters.treatment import (
    LymphodepletionParameters,
    TherapyParameters,
    TocilizumabParameters,
)


class Scenario(Section):
    """A whole scenario: a name, a description and every table of parameters."""

    name: str = Field("custom", description="the scenario's name (its file name)")
    description: str = Field("", description="one line saying what the scenario shows")
    grid: GridParameters = Field(default_factory=GridParameters)
    time: TimeParameters = Field(default_factory=TimeParameters)
    leukaemia: LeukaemiaParameters = Field(default_factory=LeukaemiaParameters)
    b_cells: BCellParameters = Field(default_factory=BCellParameters)
    car_t: CarTParameters = Field(default_factory=CarTParameters)
    native_t: NativeTParameters = Field(default_factory=NativeTParameters)
    teaching: TeachingParameters = Field(default_factory=TeachingParameters)
    rejection: RejectionParameters = Field(default_factory=RejectionParameters)
    fields: FieldParameters = Field(default_factory=FieldParameters)
    lymphodepletion: LymphodepletionParameters = Field(default_factory=LymphodepletionParameters)
    therapy: TherapyParameters = Field(default_factory=TherapyParameters)
    tocilizumab: TocilizumabParameters = Field(default_factory=TocilizumabParameters)
    residual: ResidualParameters = Field(default_factory=ResidualParameters)
    microenvironment: MicroenvironmentParameters = Field(default_factory=MicroenvironmentParameters)
    lymphoma: LymphomaParameters = Field(default_factory=LymphomaParameters)
    patient: PatientParameters = Field(default_factory=PatientParameters)
