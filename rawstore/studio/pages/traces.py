"""Studio pages: traces (being built)."""
