"""(see issue)."""
