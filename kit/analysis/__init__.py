"""Pure analysis of captured queries: fingerprints, duplicates, N+1 groups (no Django import)."""
