"""The retailctl benchmark: every stage measured in its own process tree against a DuckDB reference.

Run ``python -m bench`` (``make bench``) or ``python -m bench --quick``; results go to bench/results/.
"""
