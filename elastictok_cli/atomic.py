"""Outputs that appear whole or not at all: temporary files beside the target, then rename.

Shared by every writer (containers, videos, frame folders, token archives), so they all
refuse, name their temporaries and report failures the same way.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from typing import BinaryIO

from elastictok_cli.errors import OutputError

TEMP_SUFFIX = ".part"
_TEMP_NAME = re.compile(r"\.(?P<target>.+)\.[0-9a-f]{8}" + re.escape(TEMP_SUFFIX))


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
        raise exists_error(path)


def exists_error(path: str) -> OutputError:
    """The one message for an existing target without --force."""
    return OutputError(f"{path} already exists; use --force to replace it")


def parent_folder(path: str) -> str:
    """The folder a path lives in ('.' for a bare name)."""
    return os.path.dirname(os.path.abspath(path.rstrip("/" + os.sep) or path))


def temp_file_beside(path: str) -> str:
    """Create an empty hidden temporary file in the target's folder and return its path.

    Same folder means same file system, so the final `os.replace` is an atomic rename.
    """
    folder = parent_folder(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    # Mode 0o666 filtered by the umask, as for any new file: tempfile.mkstemp would
    # make it 0o600, and that private mode would stay on the finished output.
    return _create_unique(folder, path, lambda temp: os.close(os.open(temp, flags, 0o666)))


def open_temp_beside(path: str) -> tuple[BinaryIO, str]:
    """Create a hidden temporary file beside the target, open for reading and writing.

    Opened through the descriptor that created it, so no other file can take its place.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    opened = []

    def create(temp: str) -> None:
        opened.append(os.fdopen(os.open(temp, flags, 0o666), "w+b"))

    temp = _create_unique(parent_folder(path), path, create)
    return opened[0], temp


def temp_folder_in(folder: str, name: str) -> str:
    """Create a hidden temporary folder inside `folder` and return its path."""
    return _create_unique(folder, name, lambda temp: os.mkdir(temp, 0o777))


def _create_unique(folder: str, name: str, create) -> str:
    """Create `folder/.name.RANDOM.part` with `create`, retrying on a name clash."""
    for _ in range(100):
        temp = os.path.join(
            folder, f".{os.path.basename(name)}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        )
        try:
            create(temp)
        except FileExistsError:
            continue
        except OSError as err:
            raise OutputError(f"cannot write in {folder}: {err.strerror or err}") from err
        return temp
    raise OutputError(f"cannot create a temporary file in {folder}")


def temp_target(temp: str) -> str | None:
    """The target a temporary file of `_create_unique` was made for, or None if it is not one."""
    match = _TEMP_NAME.fullmatch(os.path.basename(temp))
    return os.path.join(os.path.dirname(temp), match["target"]) if match else None


def temps_of(folder: str, suffix: str = "") -> list[str]:
    """Temporary files in `folder` made for targets whose names end with `suffix`, sorted."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    temps = []
    for name in names:
        target = temp_target(os.path.join(folder, name))
        if target is not None and target.endswith(suffix):
            temps.append(os.path.join(folder, name))
    return sorted(temps)


def commit_file(temp: str, path: str, sync_folder: bool = True) -> None:
    """Flush a finished temporary file to disk, then move it onto its target in one step.

    `sync_folder=False` leaves the folder's fsync to a caller that moves many files.
    """
    try:
        if os.path.isfile(temp):
            # Without the fsync a crash soon after the rename can leave an empty target.
            fd = os.open(temp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(temp, path)
    except OSError as err:
        discard(temp)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
    if sync_folder:
        fsync_folder(parent_folder(path))


def write_bytes(path: str, data: bytes) -> None:
    """Replace `path` with `data` whole: a temporary file beside it, then a rename."""
    temp = temp_file_beside(path)
    try:
        with open(temp, "wb") as handle:
            handle.write(data)
    except OSError as err:
        discard(temp)
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from err
    commit_file(temp, path)


def discard(temp: str) -> None:
    """Remove a temporary file or folder, ignoring one that is already gone."""
    try:
        if os.path.isdir(temp) and not os.path.islink(temp):
            shutil.rmtree(temp, ignore_errors=True)
        else:
            os.unlink(temp)
    except FileNotFoundError:
        pass


def fsync_folder(folder: str) -> None:
    """Persist a rename; not every platform or filesystem can, so failures are ignored."""
    flags = getattr(os, "O_DIRECTORY", None)
    if flags is None:
        return
    try:
        fd = os.open(folder, os.O_RDONLY | flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
