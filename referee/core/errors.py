"""Domain refusals. The domain layer raises these; the API maps them to the one error shape (§1)."""


class DomainError(Exception):
    """A business rule refused the action: 400 {"detail": message}."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class FieldError(DomainError):
    """A refusal tied to one input field: 400 {field: [message]}."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class Unavailable(DomainError):
    """The action needs a service that is not running now (a background worker): 503 {"detail"}."""
