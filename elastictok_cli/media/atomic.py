"""Outputs that appear whole or not at all: temporary files beside the target, then rename."""

from __future__ import annotations

import os
import shutil
import tempfile

from elastictok_cli.errors import OutputError

TEMP_SUFFIX = ".part"


def check_target(path: str, force: bool, folder: bool = False) -> None:
    """Refuse a target that exists (unless `force`) or whose folder cannot take it."""
    parent = parent_folder(path)
    if not os.path.isdir(parent):
        reason = "is not a folder" if os.path.exists(parent) else "does not exist"
        raise OutputError(f"cannot write {path}: {parent} {reason}")
    if folder:
        if os.path.exists(path) and not os.path.isdir(path):
            raise OutputError(f"cannot write frames into {path}: it is a file, not a folder")
        return
    if os.path.isdir(path):
        raise OutputError(f"cannot write {path}: it is a folder")
    if os.path.lexists(path) and not force:
        raise OutputError(f"{path} already exists; use --force to replace it")


def parent_folder(path: str) -> str:
    """The folder a path lives in ('.' for a bare name)."""
    return os.path.dirname(os.path.abspath(path.rstrip("/" + os.sep) or path))


def temp_file_beside(path: str) -> str:
    """Create an empty hidden temporary file in the target's folder and return its path.

    Same folder means same file system, so the final `os.replace` is an atomic rename.
    """
    folder = parent_folder(path)
    try:
        handle, temp = tempfile.mkstemp(
            prefix=f".{os.path.basename(path)}.", suffix=TEMP_SUFFIX, dir=folder
        )
    except OSError as err:
        raise OutputError(f"cannot write in {folder}: {err.strerror or err}") from err
    os.close(handle)
    return temp


def temp_folder_in(folder: str, name: str) -> str:
    """Create a hidden temporary folder inside `folder` and return its path."""
    try:
        return tempfile.mkdtemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as err:
        raise OutputError(f"cannot write in {folder}: {err.strerror or err}") from err


def commit_file(temp: str, path: str) -> None:
    """Move a finished temporary file onto its target in one step."""
    try:
        os.replace(temp, path)
    except OSError as err:
        discard(temp)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err


def discard(temp: str) -> None:
    """Remove a temporary file or folder, ignoring one that is already gone."""
    try:
        if os.path.isdir(temp) and not os.path.islink(temp):
            shutil.rmtree(temp, ignore_errors=True)
        else:
            os.unlink(temp)
    except FileNotFoundError:
        pass
