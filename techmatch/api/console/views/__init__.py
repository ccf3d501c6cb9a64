"""Presenters: domain objects → what a console page shows (no HTTP, no HTML)."""
