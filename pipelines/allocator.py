"""glibc's allocator told to keep the memory a load frees, instead of handing it back to the
kernel and faulting it in again for the next page.

A load allocates and frees the same few sizes over and over: each page's body (1-23 MB), its
decoded columns, the Parquet writer's buffers. glibc serves a block of 128 KiB and more with its
own ``mmap`` and returns it with ``munmap`` when freed (it raises that threshold only up to the
size of a block freed, so a larger page maps again), and trims a heap's free top back to the
kernel past twice that threshold; every page of memory so returned is a minor page fault
(zeroed by the kernel) when the next page is read into it. A 60,000-task load took 2.0 M minor
faults and 10.7 s of system time of its ~70 s of CPU. With blocks up to 32 MiB kept in the
heap (glibc's own ceiling for its moving threshold) and 128 MiB of free top kept per heap, one
day of task_details took 0.04 M faults instead of 0.2 M (bench/README.md, issue 21, fifth pass).

No Dagster here: the CLI calls this before importing Dagster.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable

# mallopt(3) parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # blocks below this come from the heap, reused when freed
TRIM_THRESHOLD = 128 * 1024 * 1024  # free memory at a heap's top kept up to this


def mallopt() -> Callable[[int, int], int] | None:
    """glibc's ``mallopt``, or None where the C library is another."""
    try:
        glibc = sys.platform.startswith("linux") and bool(os.confstr("CS_GNU_LIBC_VERSION"))
        return ctypes.CDLL(None).mallopt if glibc else None
    except (AttributeError, OSError, ValueError):
        return None


def keep_freed_memory() -> bool:
    """Set glibc's thresholds for this process (and processes forked from it); False where
    the C library is not glibc (nothing set)."""
    found = mallopt()
    if found is None:
        return False
    # mallopt returns 1 on success; setting either threshold also stops glibc moving them.
    return bool(found(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
        found(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
