"""The model: one virtual patient's marrow (or lymph node) stepped hour by hour.

The engine (:mod:`sim.model`, :mod:`sim.tissue`, :mod:`sim.geometry`, :mod:`sim.movement`,
:mod:`sim.contacts`, :mod:`sim.census`, :mod:`sim.events`, :mod:`sim.chances`), the
therapy (:mod:`sim.therapy`, :mod:`sim.timeline`), the patient (:mod:`sim.patient`), the
parameters and their loader (:mod:`sim.parameters`, :mod:`sim.loader`,
:mod:`sim.scenario_checks`, :mod:`sim.limits`, :mod:`sim.errors`), and one run with what
it reports (:mod:`sim.run`, :mod:`sim.metrics`, :mod:`sim.outputs`,
:mod:`sim.snapshot`). No pixels and no commands: those are :mod:`viz` and
:mod:`commands`; studies that run the model many times are :mod:`study`.
"""
