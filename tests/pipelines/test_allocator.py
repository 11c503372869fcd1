"""A load keeps the memory it frees for its next pages instead of faulting it in again."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipelines import allocator

# Blocks of 1..24 MiB, each written, then freed: the sizes a load's page bodies and columns take.
CHURN = """
import resource, sys
from pipelines.allocator import keep_freed_memory
if sys.argv[1] == "kept":
    assert keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for mib in range(1, 25):
    block = b"\\x01" * (mib << 20)
    del block
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    ran = subprocess.run(
        [sys.executable, "-c", CHURN, mode], capture_output=True, text=True, check=True
    )
    return int(ran.stdout)


@pytest.mark.skipif(allocator.mallopt() is None, reason="glibc's mallopt only")
def test_memory_freed_is_reused_without_faulting_it_in_again() -> None:
    default, kept = _faults("default"), _faults("kept")
    pages = sum(range(1, 25)) << 20 >> 12  # every block's pages: what fresh mappings fault
    assert default > pages // 2  # glibc maps each larger block afresh
    assert kept < pages // 4  # the heap grows to the largest block once and is reused
