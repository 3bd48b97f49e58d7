"""The ``sensitivity`` command and its figure (the analysis itself is :mod:`sim.sensitivity`)."""
