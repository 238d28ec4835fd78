"""The test suite; a package so that `tests.*` never resolves to a dependency's stray `tests`."""
