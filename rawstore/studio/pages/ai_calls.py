"""Studio pages: ai_calls (being built)."""
