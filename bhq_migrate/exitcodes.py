"""Exit codes shared by every command (sqlfluff / migra convention)."""

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """The command did its job: nothing to report, or everything passed."""
    FAILED = 1
    """The command ran and refused, or found failures; nothing was changed."""
    CANNOT_RUN = 2
    """Usage, configuration or connection problem: the command could not run."""
    BROKEN_PIPE = 141
    """The reader of stdout went away (``| head``): stopped quietly, with the status a shell reports for a
    program killed by SIGPIPE (128 + 13), as ``git log | head`` does."""
