"""Atomic file creation: a temp file beside the target, fsync, then rename into place."""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from typing import BinaryIO

from elastictok_cli.errors import OutputError

_COPY_CHUNK = 1 << 20


def _remove(path: str) -> None:
    """Delete a file if it is still there."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _new_file_mode() -> int:
    """The mode `open()` would give a new file: 0o666 minus the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


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


class AtomicFile:
    """A temp file in the target's folder that becomes the target only on `commit()`.

    Until then the target is untouched; `abort()` (or garbage collection) deletes the temp.
    """

    def __init__(self, target: str | os.PathLike, *, force: bool = False):
        """Refuse an existing target unless `force`, then create the temp file."""
        self.target = os.fspath(target)
        self.force = force
        if os.path.isdir(self.target):
            raise OutputError(f"{self.target} is a folder")
        if not force and os.path.lexists(self.target):
            raise OutputError(f"{self.target} already exists (use --force to overwrite)")
        self.folder = os.path.dirname(os.path.abspath(self.target))
        self.file, self.temp_path = self._create()
        self._cleanup = weakref.finalize(self, _remove, self.temp_path)

    def _create(self) -> tuple[BinaryIO, str]:
        """A new empty temp file beside the target (hidden, so a crash leaves no look-alike)."""
        prefix = "." + os.path.basename(self.target) + "."
        try:
            fd, path = tempfile.mkstemp(prefix=prefix, suffix=".part", dir=self.folder)
        except OSError as err:
            raise OutputError(f"cannot create a file in {self.folder}: {err.strerror}") from err
        return os.fdopen(fd, "w+b"), path

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
            _remove(new_path)
            raise
        self.file.close()
        _remove(self.temp_path)
        self._cleanup.detach()
        self.file, self.temp_path = new_file, new_path
        self._cleanup = weakref.finalize(self, _remove, new_path)

    def commit(self) -> None:
        """Flush and fsync the temp file, then give it the target's name."""
        self.file.flush()
        os.fsync(self.file.fileno())
        os.chmod(self.temp_path, _new_file_mode())
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
            raise OutputError(f"{self.target} already exists (use --force to overwrite)") from err
        except OSError:
            # Filesystems without hard links: check, then rename (a small race remains).
            if os.path.lexists(self.target):
                raise OutputError(f"{self.target} already exists") from None
            os.replace(self.temp_path, self.target)
            return
        _remove(self.temp_path)

    def abort(self) -> None:
        """Close and delete the temp file; the target stays as it was."""
        if not self.file.closed:
            self.file.close()
        _remove(self.temp_path)
        self._cleanup.detach()
