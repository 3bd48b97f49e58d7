"""A batch's defaults, in a module with no imports, so that ``--help`` can state them
without loading the batch machinery."""

DEFAULT_ROOT_SEED = 0
"""The root seed of a batch when none is given (``--seed``)."""

MAX_ATTEMPTS = 3
"""A failing run is tried this many times in all (the first try and two retries)."""
