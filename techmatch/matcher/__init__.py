"""Retrieval, fusion, ranking, explanation, expert affinity, assignment, batch and analytics."""
