"""The one error type a user sees: bad input, reported in one line with exit status 2."""


class UserInputError(Exception):
    """Bad input from the user (a scenario file, a ``--set`` value, an option).

    The message is the whole report: one line naming the file or option, the key and
    what is allowed. The command line prints it and exits with status 2, without a
    traceback.
    """
