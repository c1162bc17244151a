"""regkb: a knowledge base and Q&A service for Chinese work-safety regulation.

The code lives in the top-level folders ``ingest/ corpus/ index/ service/ eval/``,
installed as ``regkb.ingest``, ``regkb.corpus``, ``regkb.index``, ``regkb.service``
and ``regkb.eval``.
"""

__version__ = "0.1.0"
