"""The kit's single exception hierarchy.

Every error a user can cause derives from :class:`MaturityError`; library code raises the
subclass that names what went wrong. Library callers can catch ``MaturityError`` to handle
all of them. Only the command line maps them to exit codes (:mod:`maturity.cli`): a short
message, and a traceback only with ``--debug``.
"""

from __future__ import annotations


class MaturityError(Exception):
    """Base class of every error the kit raises on purpose.

    Parameters
    ----------
    message : str
        A complete sentence a user can act on.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class FrameworkError(MaturityError):
    """A framework file is unreadable or breaks the framework file format.

    Parameters
    ----------
    message : str
        What is wrong.
    field : str, optional
        The path of the offending field, e.g. ``strands[2].items[0].scale``.
    source : str, optional
        The file the framework came from.
    """

    def __init__(self, message: str, *, field: str | None = None, source: str | None = None):
        self.field = field
        self.source = source
        where = ""
        if source:
            where += f"{source}: "
        if field:
            where += f"{field}: "
        super().__init__(f"{where}{message}")


class DataError(MaturityError):
    """Response data cannot be used: unreadable, malformed or failing validation."""


class ValidationFailed(DataError):
    """A response file was rejected by validation; ``report`` holds every problem."""

    def __init__(self, message: str, report: object | None = None) -> None:
        super().__init__(message)
        self.report = report


class StoreError(MaturityError):
    """The benchmark database cannot be opened, read or written as asked."""


class AnalysisError(MaturityError):
    """An analysis cannot be computed from the data given (too few respondents, no variance...)."""


class ParametersError(MaturityError):
    """Parameters are invalid: a run or client parameters file, or values given to a function
    (an unknown option, a number out of range, options that cannot work together)."""


class PrivacyError(MaturityError):
    """Figures cannot be released: the wave's release plan fails its privacy audit, or a
    stored plan cannot be read."""


class ReportError(MaturityError):
    """A notebook report failed to execute or export."""


class DashboardError(MaturityError):
    """The dashboard server cannot start: no free port, or it stopped or never became ready."""
