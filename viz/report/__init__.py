"""The two-arm comparison report: figures (matplotlib), report.md and a self-contained
report.html, and the ``compare`` command. The numbers come from :mod:`sim.analysis`."""
