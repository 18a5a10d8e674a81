"""Where built indexes live: one interface, two stores (FAISS folders, PostgreSQL)."""
