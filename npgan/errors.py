"""The two error types every layer of npgan may raise for what is not a bug: misuse and faults.

The command line prints either as one line, ``npgan <command>: error: ...``; the exit
status says which it was (README, "The command"):

- ``UsageError``, exit status 2: what the user asked cannot be done as asked (a flag, a
  value, a file named on the command line, an output that cannot be written where it is
  named or would not fit), found before any work;
- ``FaultError``, exit status 1: the machine failed the command (the data files missing,
  damaged or not downloadable, a disk that filled or a write that was refused while
  working); what was written before stays whole, and the message says how to go on.
"""


class UsageError(Exception):
    """Bad input from the user (a flag, a value, a file that cannot be used).

    The command line prints its message as one line, ``npgan <command>: error: ...``,
    and exits with status 2.
    """


class FaultError(Exception):
    """A fault of the environment: data files, a full disk, a refused write.

    The command line prints its message as one line, ``npgan <command>: error: ...``,
    and exits with status 1.
    """
