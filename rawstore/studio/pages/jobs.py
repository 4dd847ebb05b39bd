"""Studio pages: jobs (being built)."""
