"""Bundled domain dictionary and stopword list."""
