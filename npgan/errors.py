"""The one error type every layer of npgan may raise for bad input from a user."""


class UsageError(Exception):
    """Bad input from the user (a flag, a value, a file that cannot be used).

    The command line prints its message as one line, ``npgan <command>: error: ...``,
    and exits with status 2.
    """
