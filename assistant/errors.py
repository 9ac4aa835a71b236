"""The errors the assistant raises; every interface translates them for its users."""

RESTRICTED_WRITE = ("adding, changing or replacing a restricted document needs an API key with "
                    "the 'restricted' scope")


class AssistantError(Exception):
    """Base of every error the assistant reports to a person."""


class UnsupportedDocument(AssistantError):
    """The file is of a kind the assistant cannot read."""


class DocumentUnreadable(AssistantError):
    """The file is of a known kind but its text cannot be had (encrypted, scanned, corrupt)."""


class DocumentTooLarge(AssistantError):
    """The file is over the configured size limit."""


class IndexMismatch(AssistantError):
    """The index on disk was built with another model, dimension or format."""


class IndexMissing(AssistantError):
    """No index exists where one was asked for."""


class IndexBusy(AssistantError):
    """Another process is writing to the index."""


class DocumentNotFound(AssistantError):
    """No document with that id is in the index."""


class ConversationNotFound(AssistantError):
    """No conversation with that id belongs to the caller."""


class ConfigurationError(AssistantError, ValueError):
    """A setting (environment variable or option) has a value that cannot be used."""


class BadEvaluationFile(AssistantError, ValueError):
    """A file of evaluation questions or conversations is missing or not in the format."""


class Busy(AssistantError):
    """Too much is waiting already (the upload queue is full); try again shortly."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class StoreUnavailable(AssistantError):
    """The database (ASSISTANT_DATABASE_URL) cannot be reached or cannot hold the index."""
