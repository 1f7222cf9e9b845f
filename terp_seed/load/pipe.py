"""A pipe that feeds ``LOAD DATA LOCAL INFILE`` while its rows are still being generated.

The loader's worker thread runs ``LOAD DATA LOCAL INFILE '/proc/self/fd/N'`` on the read end;
PyMySQL opens that path and sends what it reads until the end of the file, which comes when the
seeding thread closes the write end. So the server loads a chunk's first rows while the seeding
thread generates its last ones. Linux only (``/proc/self/fd``); elsewhere :func:`supported` is
false and every chunk goes in whole, from a temporary file.

Either side may stop early. The seeding thread closing the write end ends the file where it is
(the loader then fails the chunk); the worker closing the read end makes the next write raise
:class:`BrokenPipeError` instead of waiting for a reader that is gone.
"""

from __future__ import annotations

import os

PIPE_BYTES = 1 << 20  # room for about 4,000 clients rows before the writer waits


def supported() -> bool:
    """Whether a pipe can be opened by path here (Linux's ``/proc/self/fd``)."""
    return os.path.isdir("/proc/self/fd")


class LoadPipe:
    """An OS pipe: :meth:`write` and :meth:`close` on the seeding thread, :attr:`path` read by
    ``LOAD DATA`` on the worker, which calls :meth:`close_reader` when its statement ends."""

    def __init__(self) -> None:
        self._reader, self._writer = os.pipe()
        try:  # a bigger buffer: fewer waits on either side (the default is 64 KiB)
            import fcntl

            fcntl.fcntl(self._writer, fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        except (ImportError, AttributeError, OSError):
            pass  # above /proc/sys/fs/pipe-max-size for this user: the default works too
        self.path = f"/proc/self/fd/{self._reader}"

    def write(self, data: bytes) -> None:
        """Write all of ``data``, waiting while the pipe is full.

        :raises BrokenPipeError: the reader has closed its end.
        """
        view = memoryview(data)
        while view:
            view = view[os.write(self._writer, view) :]

    def close(self) -> None:
        """End the file (the reader sees its end once it has read what is in the pipe)."""
        fd, self._writer = self._writer, -1
        if fd >= 0:
            os.close(fd)

    def close_reader(self) -> None:
        """Close the read end: a later :meth:`write` raises instead of waiting."""
        fd, self._reader = self._reader, -1
        if fd >= 0:
            os.close(fd)
