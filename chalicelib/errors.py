"""The one error hierarchy, for the domain and the API alike; `api/http.py` maps each class to a status."""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. `code` is machine-readable, the message is for people."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.fields = fields


class InvalidInput(DomainError):
    code = "validation_failed"


class NotFound(DomainError):
    code = "not_found"


class InvalidState(DomainError):
    code = "invalid_state"


class VersionConflict(DomainError):
    code = "version_conflict"


class Throttled(DomainError):
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Conflict(DomainError):
    code = "conflict"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class MalformedRequest(DomainError):
    code = "malformed_json"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class Unavailable(DomainError):
    """A service the request needs (DynamoDB, Step Functions) is out of reach: try again shortly."""

    code = "service_unavailable"

    def __init__(self, message: str, *, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds
