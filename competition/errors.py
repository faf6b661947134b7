"""Domain errors of contests: each says what was refused and why, in words a referee reads."""

from __future__ import annotations


class ContestError(Exception):
    """Base of every refusal; ``code`` is stable for API clients, the message is for people."""

    code = "contest_error"

    def __init__(self, message: str, *, field: str | None = None):
        self.field = field
        super().__init__(message)


class ContestNotFound(ContestError):
    code = "not_found"

    def __init__(self, ident):
        super().__init__(f"no contest {ident!r}")


class NotFound(ContestError):
    code = "not_found"


class InvalidState(ContestError):
    """The contest (or stage) is not in a state that allows this action."""

    code = "invalid_state"


class NotAssigned(ContestError):
    """The referee is not on the panel for this aspect at this contestant's site."""

    code = "not_assigned"


class ConflictOfInterest(ContestError):
    """A referee may not mark a contestant from their own enterprise (回避)."""

    code = "conflict_of_interest"


class InvalidMark(ContestError):
    code = "invalid_mark"


class SignedOff(ContestError):
    code = "signed_off"


class AlreadyExists(ContestError):
    """A code (contest, site) that is already taken."""

    code = "already_exists"


class InvalidSetup(ContestError):
    """A set-up request that cannot be carried out as given (panel too large, wrong site…)."""

    code = "invalid_setup"
