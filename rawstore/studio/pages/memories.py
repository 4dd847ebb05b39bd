"""Studio pages: memories (being built)."""
