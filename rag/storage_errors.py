"""What the disk under a library refuses, said as a `RagError` that names the fix.

Owns recognising a full disk, a read-only file system or folder, a permission and a path
under a file, from an `OSError` (its errno) or an SQLite error (its result code, and for
SQLite's vaguer "disk I/O error" and "unable to open" the state of the folder itself).
Leaves out retrying and freeing space: the user decides what to delete. Errors it does not
recognise pass through unchanged.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path

from rag.errors import DiskFullError, FolderAccessError, LibraryNotWritableError, RagError

# Below this many free bytes, an SQLite "disk I/O error" is read as a full disk: SQLite
# reports a failed write of its shared-memory or journal file that way, not as SQLITE_FULL.
NEARLY_FULL_BYTES = 1 << 20

_DISK_FULL = {errno.ENOSPC, errno.EDQUOT}
_PERMISSION = {errno.EACCES, errno.EPERM}
# SQLite's primary result codes (the low byte of an extended code).
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 3, 8, 10, 13, 14


def free_bytes(folder: Path) -> int | None:
    """Bytes an unprivileged user may still write on the disk holding `folder` (None: unknown)."""
    try:
        stats = os.statvfs(existing_ancestor(folder))
    except OSError:
        return None
    return stats.f_bavail * stats.f_frsize


def existing_ancestor(path: Path) -> Path:
    """`path`, or the nearest folder above it that exists (a library folder may be new)."""
    for candidate in (path, *path.parents):
        try:
            if candidate.is_dir():
                return candidate
        except OSError:
            continue
    return Path("/")


READ_ONLY_MOUNT = "its file system is mounted read-only"
NOT_WRITABLE_FOR_USER = "this user may not write in its folder"


def read_only_reason(folder: Path) -> str | None:
    """Why this process cannot write in `folder` (None: it can). A read-only mount stops
    root too; `os.access` answers for this process's user."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return READ_ONLY_MOUNT
    except OSError:
        return None
    if not os.access(folder, os.W_OK | os.X_OK):
        return NOT_WRITABLE_FOR_USER
    return None


def translated(error: BaseException, folder: Path) -> RagError | None:
    """The RagError `error` means for the library at `folder`, or None if it is not about
    the disk or the folder."""
    if isinstance(error, OSError):
        path = Path(error.filename) if error.filename else folder
        if not _concerns(path, folder):
            return None  # another file (a document being read): its reader words that
        return _from_errno(error.errno, path, folder)
    if isinstance(error, sqlite3.Error):
        code = (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF
        if code == _SQLITE_FULL:
            return DiskFullError(folder, free_bytes(folder) or 0)
        if code == _SQLITE_READONLY:
            return LibraryNotWritableError(folder, read_only_reason(folder) or "SQLite may not write to it")
        if code == _SQLITE_PERM:
            return FolderAccessError(folder, "permission denied; give this user access to the folder and its files")
        if code in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
            return _from_folder_state(folder)
    return None


def _concerns(path: Path, folder: Path) -> bool:
    """Whether `path` is the library folder, inside it, or a folder on the way to it."""
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents or path in folder.parents


def _from_errno(number: int | None, path: Path, folder: Path) -> RagError | None:
    if number in _DISK_FULL:
        return DiskFullError(folder, free_bytes(folder) or 0)
    if number == errno.EROFS:
        return LibraryNotWritableError(folder, READ_ONLY_MOUNT)
    if number in _PERMISSION:
        return FolderAccessError(path, "permission denied; give this user access to it (or choose "
                                 "another folder)")
    if number == errno.ENOTDIR:
        blocker = next((p for p in (path, *path.parents) if p.is_file()), path)
        return FolderAccessError(path, f"{blocker} is a file, not a folder; choose a path whose "
                                 "parents are folders")
    return None


def _from_folder_state(folder: Path) -> RagError | None:
    """SQLite's "disk I/O error" / "unable to open database file" carry no errno: look at
    the folder to say which of its usual causes it is."""
    free = free_bytes(folder)
    if free is not None and free < NEARLY_FULL_BYTES:
        return DiskFullError(folder, free)
    if (reason := read_only_reason(existing_ancestor(folder))) is not None:
        return LibraryNotWritableError(folder, reason)
    return None


@contextmanager
def storage_errors(folder: Path):
    """Re-raise the disk's and the folder's refusals inside the block as RagErrors."""
    try:
        yield
    except (OSError, sqlite3.Error) as error:
        if (meaning := translated(error, folder)) is None:
            raise
        raise meaning from error
