"""ML system design: the helpers behind Part IV's five worked designs.

Taught in ``book/sysdesign/``:

* :mod:`~aimastery.sysdesign.estimates` — the back-of-envelope capacity and
  cost sheet every design chapter fills in from named parameters;
* :mod:`~aimastery.sysdesign.diagram` — architecture diagrams drawn with
  matplotlib;
* :mod:`~aimastery.sysdesign.metrics` — ranking metrics (recall@k, MRR,
  coverage) shared by the RAG and recommendation chapters;
* one module per experiment: :mod:`~aimastery.sysdesign.retrieval` and
  :mod:`~aimastery.sysdesign.corpus` (RAG at scale),
  :mod:`~aimastery.sysdesign.caching` (cache hit rate and p95),
  :mod:`~aimastery.sysdesign.recsys` (recommendations),
  :mod:`~aimastery.sysdesign.fraud` (real-time fraud detection),
  :mod:`~aimastery.sysdesign.batching` and :mod:`~aimastery.sysdesign.rollout`
  (model serving), :mod:`~aimastery.sysdesign.experiments` (A/B testing).
"""
