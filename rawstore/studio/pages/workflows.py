"""Studio pages: workflows (being built)."""
