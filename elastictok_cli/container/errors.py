"""Errors a container reader raises: corrupt (exit 3) or incompatible (exit 4)."""

from __future__ import annotations

from elastictok_cli.errors import BadInputError, IncompatibleError


class ContainerError(BadInputError):
    """The file is not a valid .etok container: damaged, truncated or not one at all."""


class ContainerIncompatible(IncompatibleError):
    """A valid .etok container that this version cannot read: too new or unknown coding."""
