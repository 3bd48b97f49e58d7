"""The words a comparison uses for its disease.

A leukaemia (B-ALL) is judged by its marrow: *remission* (blasts under 5 %), then
*relapse*. A lymphoma is judged by its scans (Lugano 2014, :mod:`sim.lymphoma`): a
*complete* or *partial response*, *stable* or *progressive disease*, then *progression*
after a partial response or *relapse* after a complete one. The report's tables, text and
figures take every disease word from the :class:`Vocabulary` of their comparison, so a
lymphoma report never speaks of remission or blasts; the live view (:mod:`viz.live`) takes
its legend, chart series, monitor and growth slider names from it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.lymphoma import is_lymphoma

if TYPE_CHECKING:
    from sim.parameters import Scenario


@dataclass(frozen=True)
class Vocabulary:
    """The disease words of one report.

    Attributes:
        lymphoma: whether these are lymphoma's words.
        responders: who is followed after a response ("in remission").
        relapse: the event after a response, as a noun ("relapse").
        relapses: its plural ("relapses").
        relapsed: its verb in the past ("relapsed").
        free: the survival that ends at it ("relapse-free").
        onset: where that survival starts, in words.
        no_responses: "no remissions".
        burden: the disease at infusion, in a sentence ("blast burden").
        burden_axis, burden_title: the same on the timing figure.
        short_labels: the outcome figure's row labels that differ from the leukaemia's.
        burden_label: the disease on the live view's monitor and in its titles ("Blasts").
        cell: one disease cell, in the live view's legend ("Blast").
        cells: the disease cells, in the live view's chart and readout ("Blasts").
        growth: the growth slider's name ("Blast growth").
    """

    lymphoma: bool
    responders: str
    relapse: str
    relapses: str
    relapsed: str
    free: str
    onset: str
    no_responses: str
    burden: str
    burden_axis: str
    burden_title: str
    short_labels: dict[str, str]
    burden_label: str
    cell: str
    cells: str
    growth: str


LEUKAEMIA_WORDS = Vocabulary(
    lymphoma=False,
    responders="in remission",
    relapse="relapse",
    relapses="relapses",
    relapsed="relapsed",
    free="relapse-free",
    onset="remission",
    no_responses="no remissions",
    burden="blast burden",
    burden_axis="blasts at infusion (% of marrow sites)",
    burden_title="Leukaemia burden at infusion",
    short_labels={},
    burden_label="Blasts",
    cell="Blast",
    cells="Blasts",
    growth="Blast growth",
)
LYMPHOMA_WORDS = Vocabulary(
    lymphoma=True,
    responders="responding (complete or partial response) at the day-28 scan",
    relapse="progression or relapse after response",
    relapses="progressions or relapses",
    relapsed="progressed",
    free="progression-free",
    onset="the day-28 scan that showed a response",
    no_responses="no responses",
    burden="lymphoma burden",
    burden_axis="lymphoma at infusion (% of the node's sites)",
    burden_title="Lymphoma burden at infusion",
    short_labels={
        "remission_day28": "response (CR or PR), day-28 scan",
        "best_response": "overall response by month 3",
        "mrd_negative_day28": "complete response, day-28 scan",
        "non_response": "stable or progressive disease (of infused)",
        "relapse": "progression after response (of responses)",
        "relapse_cd19_negative": "CD19-negative (of progressions)",
    },
    burden_label="Tumour",
    cell="Tumour cell",
    cells="Tumour cells",
    growth="Tumour growth",
)


def vocabulary(lymphoma: bool) -> Vocabulary:
    """The words for a lymphoma comparison, or for a leukaemia one."""
    return LYMPHOMA_WORDS if lymphoma else LEUKAEMIA_WORDS


def scenario_words(scenario: Scenario) -> Vocabulary:
    """The words for a run of ``scenario``: lymphoma's on a lymph node, else leukaemia's."""
    return vocabulary(is_lymphoma(scenario))
