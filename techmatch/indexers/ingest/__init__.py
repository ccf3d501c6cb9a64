"""Readers (JSONL, CSV, XLSX), column mapping, validation and normalisation."""
