"""Studio pages: scores (being built)."""
