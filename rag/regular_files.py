"""Open a file for reading only if it is a regular file, and never block doing so.

Owns the checks that come before a byte is read: the path exists, is not a folder, and is
a regular file (not a named pipe, device or socket: opening a pipe blocks until something
writes to it, and a device such as /dev/zero never ends), with each failure a
`DocumentError` that names the fix. Reading, size limits and formats are `rag.readers`' job.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from .errors import DocumentError


@contextmanager
def open_regular_file(path: Path | str) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """The open file and its status, or a `DocumentError` if `path` is not a regular file.
    Checked twice: before opening (a device is never opened), and on the opened file (a pipe
    put in the file's place in between is opened without blocking, then refused)."""
    path = Path(path)
    try:
        info = path.stat()
        _check_regular(path, info)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except DocumentError:
        raise
    except FileNotFoundError:
        raise DocumentError(path, "the file does not exist; check the path") from None
    except PermissionError:
        raise DocumentError(path, "permission denied; make the file readable and try again") from None
    except OSError as exc:
        reason = f"the file cannot be opened ({exc.strerror or exc}); check the path and its permissions"
        raise DocumentError(path, reason) from exc
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(descriptor)
        _check_regular(path, info)
        os.set_blocking(descriptor, True)
        yield handle, info


def _check_regular(path: Path, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise DocumentError(path, "it is a folder, not a file; give the path of a file inside it")
    if not stat.S_ISREG(info.st_mode):
        raise DocumentError(path, "it is not a regular file (a device, pipe or socket); "
                            "give the path of an ordinary file")
