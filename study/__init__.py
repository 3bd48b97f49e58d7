"""Studies: everything that runs the model many times and reads the results.

- :mod:`study.batch`: replicates and sweeps, resumable, on processes or Dask;
- :mod:`study.experiment`: experiment files (a batch written down as TOML);
- :mod:`study.analysis`: shared statistics (shares, effects, kinetics, survival) and the
  two-arm comparison;
- :mod:`study.validation`: clinical targets, their measures, the mean-field check;
- :mod:`study.sensitivity`: global sensitivity analysis (Morris, Sobol).

Imports flow one way: study uses :mod:`sim`; it never imports :mod:`viz` or
:mod:`commands`.
"""
