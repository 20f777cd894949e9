"""Typed application errors raised by services and mapped to responses in one place each
(web: zhuli.web.errors, API: zhuli.api.errors)."""
from __future__ import annotations


class AppError(Exception):
    """A business rule refused the request; the message is for the user."""

    status = 409

    def __init__(self, message: str, *, code: str = "", field: str | None = None):
        super().__init__(message)
        self.message = str(message)
        self.code = code
        self.field = field


class InvalidInput(AppError):
    """Input that is well-formed but wrong; `errors` maps field → messages."""

    status = 422

    def __init__(self, errors: dict[str, list[str] | str] | str, *, code: str = "invalid"):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}
        first = next(iter(self.errors.values()))[0]
        super().__init__(first, code=code)


class NotFound(AppError):
    """Missing, other tenant's or outside the actor's scope: always the same answer."""

    status = 404


class Forbidden(AppError):
    """A visible record, but the role lacks the action."""

    status = 403


class Conflict(AppError):
    status = 409


class TooLarge(AppError):
    status = 413
