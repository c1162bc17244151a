"""Search backends: where the index rows live and how they are searched.

``faiss_bm25s`` (the default) keeps them in files next to the SQLite store; ``milvus``
keeps them, and the store's state, in a Milvus database (Milvus Lite file or a server).
"""
