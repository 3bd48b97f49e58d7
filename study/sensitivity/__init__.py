"""Global sensitivity analysis: which parameters drive which outcome (SALib).

No pixels and no command line here (those are :mod:`viz.sensitivity_figures` and
:mod:`commands.sensitivity`). One concept per module:

- :mod:`study.sensitivity.ranges`: the sampled parameters and their ranges, from the
  parameter models' bounds, narrowed by study defaults and ``--range``
  (:class:`ParameterRange`, :func:`parse_range`, :func:`resolve_ranges`);
- :mod:`study.sensitivity.design`: SALib's points (Morris or Sobol'), each written as a
  scenario file ``DIR/samples/sample-0001.toml`` that the batch runner runs
  (:func:`make_design`, :func:`write_design`);
- :mod:`study.sensitivity.analysis`: replicate means per point, nulls excluded and counted,
  SALib's indices with intervals and the replicate noise (:func:`analyse`);
- :mod:`study.sensitivity.index_tables`: the indices as CSV and markdown.
"""

from study.sensitivity.analysis import OUTPUTS, OutputIndices, analyse
from study.sensitivity.design import (
    DEFAULT_SAMPLES,
    DESIGN_FILE,
    METHODS,
    RUNS_DIR,
    SAMPLES_DIR,
    Design,
    design_record,
    make_design,
    read_design,
    write_design,
)
from study.sensitivity.index_tables import INDICES_CSV, INDICES_MD, indices_frame, indices_markdown
from study.sensitivity.ranges import (
    DEFAULT_KEYS,
    DEFAULT_RANGES,
    ParameterRange,
    model_bounds,
    parse_params,
    parse_range,
    resolve_ranges,
)

__all__ = [
    "DEFAULT_KEYS",
    "DEFAULT_RANGES",
    "DEFAULT_SAMPLES",
    "DESIGN_FILE",
    "INDICES_CSV",
    "INDICES_MD",
    "METHODS",
    "OUTPUTS",
    "RUNS_DIR",
    "SAMPLES_DIR",
    "Design",
    "OutputIndices",
    "ParameterRange",
    "analyse",
    "design_record",
    "indices_frame",
    "indices_markdown",
    "make_design",
    "model_bounds",
    "parse_params",
    "parse_range",
    "read_design",
    "resolve_ranges",
    "write_design",
]
