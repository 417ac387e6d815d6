"""The exceptions fusioncell raises on purpose.

Every error a user can act on derives from :class:`FusioncellError`; the CLI
prints its message on one line and exits 2, the API maps it to a status code
in one place. Anything else escaping is a bug.

::

    FusioncellError
     ├── InvalidCase            a case folder or file breaks the case format
     │    └── (carries a list of Problem: file, line, column, message)
     ├── PolicyViolation        legal authority missing, releasability or audit refusal
     ├── NotFound               an unknown case, target, identifier or entity
     ├── UsageError             a bad option combination or argument
     └── StoreBusy              another command holds the case store; try again
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, at a place a user can find."""

    file: str
    line: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f": column '{self.column}'"
        return f"{where}: {self.message}"


class FusioncellError(Exception):
    """Root of every deliberate fusioncell error."""


class InvalidCase(FusioncellError):
    """A case folder or one of its files does not follow the case format.

    ``problems`` holds every problem found in the file, so a user fixes them
    in one pass; ``str()`` gives the first and how many more there are.
    """

    def __init__(self, problems: Sequence[Problem] | str, *, file: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [Problem(file or "", None, None, problems)]
        self.problems: list[Problem] = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid case"
        more = len(self.problems) - 1
        msg = first if more <= 0 else f"{first} (and {more} more problem{'s' if more > 1 else ''})"
        super().__init__(msg)


class PolicyViolation(FusioncellError):
    """An action is not allowed: no legal authority, not releasable, audit refused."""


class NotFound(FusioncellError):
    """An unknown case, target, identifier, entity or agency."""


class UsageError(FusioncellError):
    """Bad arguments or options."""


class StoreBusy(FusioncellError):
    """Another fusioncell command (or program) holds the case store's lock."""
