"""Large blocks straight from and back to the operating system (glibc only).

A growing inverted file keeps one C++ vector per list, and each time a list outgrows its
block the vector moves to one twice as large. glibc serves blocks above its mmap threshold
with their own mapping, whose untouched tail costs no memory, and returns them to the
system when freed; but it raises that threshold each time such a block is freed, after
which the lists' blocks come from the heap, where a doubled block reuses pages already
touched and freed ones stay with the process. Right after a library is reopened every list
is exactly full, so the first add doubles all of them at once: measured at 450k vectors,
RSS went from 404 to 696 MB for 10,000 more vectors; with the threshold held at glibc's
default starting value it went to 436 MB (docs/performance.md, "Where the memory goes").

Holding the threshold fixed is process-wide, so it is done once, only on glibc, and never
when the user has chosen a threshold (`MALLOC_MMAP_THRESHOLD_`).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading

M_MMAP_THRESHOLD = -3  # mallopt's parameter number (malloc.h)
THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, no longer raised by frees

_lock = threading.Lock()
_held: bool | None = None  # None until tried


def hold_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold at its default, once per process. True if it is held."""
    global _held
    with _lock:
        if _held is None:
            _held = _set_threshold()
        return _held


def _set_threshold() -> bool:
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False  # the user's choice stands
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.gnu_get_libc_version  # glibc only: another allocator's mallopt means other things
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))
