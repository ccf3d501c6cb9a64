"""From source file to searchable index: ingest, tokenize, encode, store, index backends."""
