"""The library's error types; each carries the exit code the CLI reports for it."""


class ElastictokError(Exception):
    """Base of every error the library raises on purpose."""

    exit_code = 1


class UsageError(ElastictokError):
    """Flags or arguments that cannot work together."""

    exit_code = 2


class BadInputError(ElastictokError):
    """Input that is corrupt, truncated, not a container or not readable media."""

    exit_code = 3


class IncompatibleError(ElastictokError):
    """A valid file this reader cannot use: unknown version, other or modified model."""

    exit_code = 4


class OutputError(ElastictokError):
    """Output that cannot be written: permissions, disk full, existing file."""

    exit_code = 5
