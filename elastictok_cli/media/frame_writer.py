"""The common life cycle of every output: write frames, then commit or discard the whole."""

from __future__ import annotations

from abc import ABC, abstractmethod
from fractions import Fraction

import av.error
import numpy as np

from elastictok_cli.errors import ElastictokError, OutputError


class FrameWriter(ABC):
    """Takes uint8 RGB frames; the target appears only when `close` succeeds.

    Use it as a context manager: leaving the block by any exception, KeyboardInterrupt
    included, discards everything written so far and leaves an existing target as it was.
    """

    def __init__(self, path: str, width: int, height: int, fps: Fraction):
        """Remember the target and the frame geometry every written frame must have."""
        if width < 1 or height < 1:
            raise ValueError(f"frame size must be positive, got {width}x{height}")
        if not isinstance(fps, Fraction) or fps <= 0:
            raise ValueError(f"fps must be a positive Fraction, got {fps!r}")
        self.path = path
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_written = 0
        self._state = "open"

    def write(self, frame: np.ndarray) -> None:
        """Append one frame (H, W, 3) uint8 RGB."""
        if self._state != "open":
            raise RuntimeError(f"writer for {self.path} is already {self._state}")
        if frame.dtype != np.uint8 or frame.shape != (self.height, self.width, 3):
            raise ValueError(
                f"expected a uint8 frame of shape {(self.height, self.width, 3)}, "
                f"got {frame.dtype} {frame.shape}"
            )
        self._guarded(self._write_frame, np.ascontiguousarray(frame))
        self.frames_written += 1

    def close(self) -> None:
        """Finish the output and move it onto the target."""
        if self._state != "open":
            return
        if self.frames_written == 0:
            self.abort()
            raise OutputError(f"nothing to write to {self.path}: no frames were given")
        self._guarded(self._finish)
        self._state = "closed"

    def abort(self) -> None:
        """Throw away everything written; the target is left untouched."""
        if self._state != "open":
            return
        self._state = "aborted"
        self._discard()

    def __enter__(self) -> FrameWriter:
        """Use as a context manager that commits on success and discards on failure."""
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        """Commit when the block ended normally, discard otherwise."""
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def _guarded(self, step, *args) -> None:
        """Run a step; on any failure discard the output, mapping I/O errors to OutputError."""
        try:
            step(*args)
        except ElastictokError:
            self.abort()
            raise
        except (OSError, av.error.FFmpegError) as err:
            self.abort()
            reason = getattr(err, "strerror", None) or str(err)
            raise OutputError(f"cannot write {self.path}: {reason}") from err
        except BaseException:
            self.abort()
            raise

    @abstractmethod
    def _write_frame(self, frame: np.ndarray) -> None:
        """Encode and store one validated frame in the temporary output."""

    @abstractmethod
    def _finish(self) -> None:
        """Flush everything and move the temporary output onto the target."""

    @abstractmethod
    def _discard(self) -> None:
        """Release resources and delete the temporary output."""
