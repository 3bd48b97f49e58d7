"""The one error type a user sees: bad input, reported in one line with exit status 2."""


class UserInputError(Exception):
    """Bad input from the user (a scenario file, a ``--set`` value, an option).

    The message is the whole report: one line naming the file or option, the key and
    what is allowed. The command line prints it and exits with status 2, without a
    traceback.
    """


class FaultError(Exception):
    """A fault of the machine, not of the input: a full disk, a permission, a lost device.

    The message is one line naming the file and what went wrong, and says what was kept;
    the command line prints it and exits with status 1, without a traceback.
    """


def describe_os_error(error: OSError) -> str:
    """An OSError as ``"PATH: what went wrong"`` (one line)."""
    reason = error.strerror or str(error)
    return f"{error.filename}: {reason}" if error.filename else reason
