"""The project's exceptions: the CLI catches DigestError once and prints it."""


class DigestError(Exception):
    """Base class of every error a user can meet."""


class ConfigError(DigestError):
    """The configuration file or an environment override is wrong."""


class SourceError(DigestError):
    """A source (folder, file or feed) could not be read."""


class StoreError(DigestError):
    """The SQLite store could not be opened or written."""


class DeliveryError(DigestError):
    """A digest could not be written or delivered."""


class DeliveryInDoubt(DeliveryError):
    """The mail server was handed the message and never answered: it may have arrived."""
