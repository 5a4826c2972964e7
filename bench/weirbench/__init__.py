"""Weir's benchmark harness: see bench/README.md. Run it through bench/run."""
