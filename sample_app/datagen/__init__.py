"""Pieces of the deterministic data generator; `sample_app.seed` is the entry point."""
