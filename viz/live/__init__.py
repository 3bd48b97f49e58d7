"""The live teaching view: ``uv run main.py`` / ``uv run main.py animate``.

Modules: :mod:`palette` (colours, themes, cell tiles), :mod:`gridview` (the grid),
:mod:`plots` (live plots), :mod:`panels` (monitors, timeline, legend, banner),
:mod:`controls` (pygame-gui widgets), :mod:`overlays` (help, info, inspector),
:mod:`session` (the runs and their stored frames), :mod:`app` (the loop),
:mod:`inputs` (keys and mouse), :mod:`render` (one frame), :mod:`recording` (screenshots
and videos), :mod:`launch` (window or headless; the command is :mod:`commands.animate`).
The view reads the model only through :mod:`sim.snapshot`.
"""

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")  # no banner on the command line
