"""Vector search lab: the HNSW search layer, a tenant-filtered query, weighted reciprocal-rank fusion."""
