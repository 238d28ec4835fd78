"""release_free_heap gives a fragmented heap's free pages back to the OS."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from destinations.settings import PROJECT_ROOT

# In a fresh interpreter, so the heap is only what the script makes: 80 MB of 4 kB blocks
# (malloc's heap, not mmap), every 50th kept so the freed ones sit in holes below live ones,
# where glibc never trims on its own.
SCRIPT = """
import json, os
from dagster_defs.heap import release_free_heap

def rss_mb():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

blocks = [bytes(4000) for _ in range(20_000)]
kept = blocks[::50]
del blocks
before = rss_mb()
released = release_free_heap()
print(json.dumps({"released": released, "before": before, "after": rss_mb()}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim, /proc")
def test_freed_heap_pages_go_back_to_the_os() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=PROJECT_ROOT, capture_output=True, text=True,
        check=True, env={"PYTHONPATH": str(PROJECT_ROOT), "MALLOC_ARENA_MAX": "2"},
    )  # fmt: skip
    measured = json.loads(out.stdout)
    assert measured["released"]
    assert measured["after"] < measured["before"] - 50, measured
