"""Pictures only: the live teaching view (:mod:`viz.live`) and the static figures.

- :mod:`viz.live`: the pygame view (``uv run main.py``);
- :mod:`viz.comparison_figures`, :mod:`viz.comparison_report`: the ``compare`` report;
- :mod:`viz.validation_figures`, :mod:`viz.meanfield_figure`: the ``validate`` figures;
- :mod:`viz.sensitivity_figures`: the ``sensitivity`` figure;
- :mod:`viz.timeline_figure`: the therapy timelines of docs/model.md;
- :mod:`viz.figure_style`: one look for every static figure.

viz draws what it is given: it reads the model only through :mod:`sim.snapshot` and
results only as the tables and dataclasses of :mod:`study`; it runs no batch.
"""
