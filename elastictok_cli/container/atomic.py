"""Atomic file creation: a temp file beside the target, fsync, then rename into place.

While a writer lives it holds a lock on its temp file, so a `.part` nobody holds is the
leftover of a killed writer (`stale_parts`), which `elastictok repair` can recover.
"""

from __future__ import annotations

import io
import os
import shutil
import weakref
from typing import BinaryIO

from elastictok_cli.atomic import (
    check_target,
    discard,
    exists_error,
    fsync_folder,
    open_temp_beside,
    parent_folder,
    temp_target,
    temps_of,
)

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, so no temp file is ever called stale
    fcntl = None

_COPY_CHUNK = 1 << 20


class _WriteThrough(io.BufferedRandom):
    """Each write reaches the operating system before it returns.

    A writer killed with SIGKILL loses only what it had not yet written, never a finished
    block waiting in this process's buffer: `elastictok repair` recovers the rest.
    """

    def write(self, data) -> int:
        """Write all of `data`, then flush."""
        written = super().write(data)
        self.flush()
        return written


def _lock(file: BinaryIO) -> None:
    """Hold an exclusive lock on the open file for as long as it stays open."""
    if fcntl is not None:
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # a file system without locks: the file just cannot be told stale


def is_stale(temp: str) -> bool:
    """True if no living writer holds `temp` (its writer was killed or crashed)."""
    if fcntl is None:
        return False
    try:
        fd = os.open(temp, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    finally:
        os.close(fd)  # closing releases the lock we may have taken
    return True


def stale_parts(target: str | os.PathLike) -> list[str]:
    """Leftover temp files of killed writers of `target`, oldest name first."""
    folder, name = parent_folder(os.fspath(target)), os.path.basename(os.fspath(target))
    mine = os.path.join(folder, name)
    return [t for t in temps_of(folder, name) if temp_target(t) == mine and is_stale(t)]


def clean_stale_parts(folder: str | os.PathLike, suffix: str = ".etok") -> list[str]:
    """Delete the temp files in `folder` of killed writers of `*suffix` targets; returns them."""
    removed = []
    for temp in temps_of(os.fspath(folder), suffix):
        if is_stale(temp):
            discard(temp)
            removed.append(temp)
    return removed


class AtomicFile:
    """A temp file in the target's folder that becomes the target only on `commit()`.

    Until then the target is untouched; `abort()` (or garbage collection) deletes the temp.
    """

    def __init__(self, target: str | os.PathLike, *, force: bool = False):
        """Refuse an existing target unless `force`, then create the temp file."""
        self.target = os.fspath(target)
        self.force = force
        check_target(self.target, force)
        self.folder = parent_folder(self.target)
        self.file, self.temp_path = self._create()
        self._cleanup = weakref.finalize(self, discard, self.temp_path)

    def _create(self) -> tuple[BinaryIO, str]:
        """A new empty temp file beside the target (hidden, so a crash leaves no look-alike)."""
        file, path = open_temp_beside(self.target)
        _lock(file)
        return _WriteThrough(file.detach()), path

    def replace_prefix(self, old_size: int, prefix: bytes) -> None:
        """Swap the first `old_size` bytes for `prefix`, copying the rest in chunks."""
        if len(prefix) == old_size:
            self.file.seek(0)
            self.file.write(prefix)
            self.file.seek(0, os.SEEK_END)
            return
        new_file, new_path = self._create()
        try:
            new_file.write(prefix)
            self.file.seek(old_size)
            shutil.copyfileobj(self.file, new_file, _COPY_CHUNK)
        except BaseException:
            new_file.close()
            discard(new_path)
            raise
        self.file.close()
        discard(self.temp_path)
        self._cleanup.detach()
        self.file, self.temp_path = new_file, new_path
        self._cleanup = weakref.finalize(self, discard, new_path)

    def commit(self) -> None:
        """Flush and fsync the temp file, then give it the target's name."""
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        if self.force:
            os.replace(self.temp_path, self.target)
        else:
            self._rename_no_clobber()
        self._cleanup.detach()
        fsync_folder(self.folder)

    def _rename_no_clobber(self) -> None:
        """Rename without overwriting a target that appeared meanwhile (hard link if we can)."""
        try:
            os.link(self.temp_path, self.target)
        except FileExistsError as err:
            raise exists_error(self.target) from err
        except OSError:
            # Filesystems without hard links: check, then rename (a small race remains).
            if os.path.lexists(self.target):
                raise exists_error(self.target) from None
            os.replace(self.temp_path, self.target)
            return
        discard(self.temp_path)

    def abort(self) -> None:
        """Close and delete the temp file; the target stays as it was."""
        if not self.file.closed:
            self.file.close()
        discard(self.temp_path)
        self._cleanup.detach()
