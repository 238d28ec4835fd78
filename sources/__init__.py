"""Sources: official SDK clients turned into typed Pydantic records and Arrow tables."""

import os

# pyarrow's default pool, mimalloc, keeps the pages a load frees for its own reuse, so a
# process's RSS only climbs: a Stripe load at 10x peaked ~40 MiB higher on it than on the system
# allocator, at the same speed (benchmarks/README.md), and the VM has 1 GB for everything.
# pyarrow reads this once, when it is first imported, so it is set before any source imports
# it; the processes a run starts (Dagster's steps) inherit it. A value already set is kept.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
