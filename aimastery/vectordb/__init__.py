"""Vector search and a multi-tenant vector store, taught in ``book/vector_search.md``.

* :mod:`.exact` — exact (brute-force) k-nearest-neighbour search, the ground truth;
* :mod:`.hnsw` — a hierarchical navigable small-world graph written from scratch;
* :mod:`.ivf` — an inverted-file index (k-means cells, ``nprobe`` of them searched);
* :mod:`.ann_eval` — recall@k against exact search and queries per second, for
  the from-scratch indexes and for hnswlib and faiss on the same vectors;
* :mod:`.store` — a small multi-tenant vector store: SQLite for metadata and the
  write-ahead log, vectors in ``.npy`` files, crash-safe, with online snapshots;
* :mod:`.pgvector` — the same collection in PostgreSQL with pgvector, tenants
  isolated by row-level security, on a throwaway local cluster;
* :mod:`.answer` — an extractive answer that cites the passages it comes from.

Retrieval itself (BM25, reciprocal-rank fusion, the labelled queries and the
ranking metrics) is the RAG system-design chapter's code, in
:mod:`aimastery.sysdesign`, reused here.
"""
