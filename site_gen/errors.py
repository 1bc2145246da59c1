"""The few errors site_gen raises."""


class SettingsError(ValueError):
    """A site setting is missing or malformed."""


class PageError(ValueError):
    """A page or its content file is invalid and cannot be built."""

    def __init__(self, message: str, tokens: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.tokens = tokens


class PublishError(RuntimeError):
    """The publish target refused or could not be reached."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
