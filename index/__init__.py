"""Ingest, clean, chunk, embed, store and search news articles."""
