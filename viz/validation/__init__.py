"""The ``validate`` command and its figures (the measures are in :mod:`sim.validation`)."""
