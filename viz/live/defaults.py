"""What the command line needs of the live view, without loading pygame: the window's
base size and where saved views go (``commands.animate`` reads them for its help)."""

from __future__ import annotations

from pathlib import Path

BASE_SIZE = (1280, 720)
"""The window size the layout is designed for, in px (other sizes scale from it)."""
DEFAULT_CAPTURES = Path("captures")
"""Where S and V write when ``--out`` is not given (created on first use)."""
