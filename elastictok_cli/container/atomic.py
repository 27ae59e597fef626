"""Atomic file creation: a temp file beside the target, fsync, then rename into place."""

from __future__ import annotations

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
)

_COPY_CHUNK = 1 << 20


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
        return open_temp_beside(self.target)

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
