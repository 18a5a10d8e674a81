"""Failures a user can hit, each with a one-line message that says what to do."""

from __future__ import annotations


class NewsbotError(Exception):
    """Base class: an expected failure, shown to users as one line, never a traceback."""


class IndexMissingError(NewsbotError):
    """No index has been built at the configured folder."""


class IndexCorruptError(NewsbotError):
    """The index on disk is damaged, truncated or built with another embedder."""


class IndexBusyError(NewsbotError):
    """Another build holds the index folder's lock."""


class IndexSpaceError(NewsbotError):
    """No room on disk for a large build's vectors (index/build_vectors.py)."""


class SourceFolderError(NewsbotError):
    """The folder of articles to index does not exist or holds nothing readable."""


class EmbeddingModelError(NewsbotError):
    """The configured embedding model cannot be loaded offline."""


class InvalidQuestionError(NewsbotError):
    """The question is empty, too long or unusable."""


class DatabaseError(NewsbotError):
    """The PostgreSQL store cannot be used: unreachable, refused, no pgvector, newer schema."""
