"""The PostgreSQL store's lexical side: BM25 in SQL over each chunk's tsvector, bounded.

The terms are index/lexical.py's French ones (elisions cut, accent-folded, stopwords
dropped, Snowball-stemmed), scored with bm25s's formula and statistics (each term's score
in single precision), so that both stores rank alike. The cost is bounded
(`lexical_plan`): candidates are the chunks holding the query's rarest terms, found
through the GIN index, while those terms' document frequencies add up to at most
`LEXICAL_CANDIDATES`, plus the champions of its common terms, the chunks where each
weighs most (postgres_champions.py); every candidate is then scored with the whole
query. Below that many postings (every corpus of a few thousand chunks) this is exact
BM25; above it, a chunk that is no candidate changes the top n only when its best
possible score (the others' idf, a listed term's times its list's floor) beats the n-th
candidate's (`LexicalPlan.exact`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# bm25s's defaults (index/lexical.py): k1, b.
K1, B = 1.2, 0.75
# Postings the lexical side reads per question, at most (see the module docstring).
LEXICAL_CANDIDATES = 2_000
SINGLE_PRECISION = 1e-6  # relative rounding of a score summed in float32

# BM25 of the candidates `m`, over every query term `w` (a repeated term counts each
# time). Each candidate's tsvector is cut to the query's terms before it is unnested
# (setweight marks them, ts_filter keeps them): unnesting whole tsvectors cost 3/4 of
# the time (EXPLAIN ANALYZE, docs/scaling.md).
LEXICAL_SQL = """
WITH w AS MATERIALIZED (
    SELECT q.term, ln(1 + (st.chunk_count - l.df + 0.5) / (l.df + 0.5)) AS idf
    FROM unnest(%(terms)s::text[]) AS q (term)
    JOIN {s}.lexicon l ON l.term = q.term CROSS JOIN {s}.state st
),
m AS (SELECT id, length, lexemes FROM {s}.chunks WHERE {where}),
a AS (SELECT total_length::float8 / greatest(chunk_count, 1) AS avgdl FROM {s}.state)
SELECT m.id, sum((w.idf * u.tf / (u.tf + %(k1)s * (1 - %(b)s + %(b)s * m.length / a.avgdl)))::real)
FROM m
CROSS JOIN LATERAL (
    SELECT lexeme, cardinality(positions) AS tf
    FROM unnest(ts_filter(setweight(m.lexemes, 'A', %(distinct)s::text[]), '{{a}}'))
) u
JOIN w ON w.term = u.lexeme
CROSS JOIN a
GROUP BY m.id ORDER BY 2 DESC, m.id LIMIT %(n)s
"""


# A common term's champions (postgres_champions.py): as candidates, and their floor.
_CHAMPIONS = (
    "CROSS JOIN LATERAL (SELECT ch.chunk_id, ch.impact FROM {s}.champions ch "
    "WHERE ch.term = t.term ORDER BY ch.impact DESC LIMIT %(depth)s) c"
)
_LISTED = f"SELECT c.chunk_id FROM unnest(%(listed)s::text[]) AS t (term) {_CHAMPIONS}"
# Each list's floor, loosened for an average chunk length above the least the lists were
# computed with (postgres_champions.py; no such avgdl, as between migration 4 and the
# next indexer: no bound, 1; LEAST ignores NULLs, hence the coalesce inside).
FLOORS_SQL = f"""
SELECT f.ord, 1 / (1 + (1 / f.floor - 1) * r.r) FROM (
    SELECT t.ord, min(c.impact)::float8 AS floor
    FROM unnest(%(listed)s::text[]) WITH ORDINALITY AS t (term, ord) {_CHAMPIONS}
    GROUP BY t.ord
) f CROSS JOIN (
    SELECT least(1, coalesce(champion_avgdl * greatest(chunk_count, 1)
                             / nullif(total_length, 0), 0)) AS r FROM {{s}}.state
) r
"""


@dataclass(frozen=True)
class LexicalPlan:
    """Which query terms find the lexical candidates, and what the others could add."""

    seeds: list[str]  # distinct terms matched through the GIN index, rarest first
    listed: list[str]  # the other terms with champion lists: their champions are candidates
    capped: bool  # no seed within the budget and no list: the rarest term's newest chunks
    left: tuple[tuple[str, float], ...]  # (term, idf) of each query term not a seed

    def where(self) -> str:
        """The candidates, as LEXICAL_SQL's `m` selects them ({s}: the schema, {cap})."""
        gin = "SELECT id FROM {s}.chunks WHERE lexemes @@ %(query)s::tsquery"
        if not self.listed:
            return "lexemes @@ %(query)s::tsquery {cap}"
        if not self.seeds:
            return f"id IN ({_LISTED})"
        return f"id IN ({gin} UNION {_LISTED})"

    def bound(self, floors: Mapping[str, float] | None = None) -> float:
        """The highest BM25 a chunk that is no candidate can reach: each term left out
        adds at most its idf, a listed one its idf times its list's floor."""
        floors = floors or {}
        return sum(idf * floors.get(term, 1.0) for term, idf in self.left)

    def exact(
        self, scores: Sequence[float], n: int, floors: Mapping[str, float] | None = None
    ) -> bool:
        """Whether the top `n` found are the top `n` of a BM25 over every chunk (ties
        aside; scores are single precision, hence the tolerance)."""
        if self.capped:
            return False
        bound = self.bound(floors)
        if bound == 0:
            return True
        return len(scores) >= n and scores[n - 1] >= bound * (1 - SINGLE_PRECISION)


def lexical_plan(
    terms: Sequence[str],
    frequencies: Mapping[str, int],
    size: int,
    budget: int,
    listed_df: int | None = None,
) -> LexicalPlan:
    """The rarest terms while their postings add up to `budget`; the others held by
    more than `listed_df` chunks bring their champion lists (None: no lists). With no
    seed and no list, the rarest term alone, capped. `left` keeps the others as often
    as the query repeats them (a term's BM25 share is its idf times tf / (tf + k1 *
    norm), always below its idf)."""
    distinct = sorted(dict.fromkeys(terms), key=lambda t: (frequencies[t], t))
    seeds: list[str] = []
    postings = 0
    for term in distinct:
        if postings + frequencies[term] > budget:
            break
        seeds.append(term)
        postings += frequencies[term]
    others = distinct[len(seeds) :]
    listed = [t for t in others if listed_df is not None and frequencies[t] > listed_df]
    capped = not seeds and not listed
    if capped:
        seeds, others = distinct[:1], distinct[1:]
    left = tuple((t, bm25_idf(frequencies[t], size)) for t in terms if t in set(others))
    return LexicalPlan(seeds, listed, capped=capped, left=left)


def bm25_idf(df: int, size: int) -> float:
    """bm25s's (Lucene's) idf, as the SQL computes it."""
    return float(np.log(1 + (size - df + 0.5) / (df + 0.5)))


@dataclass(frozen=True)
class PgLexicon:
    """Document frequencies of every term (index/lexical.py's LexicalIndex statistics),
    and which terms have champion lists of what depth (None: no lists)."""

    size: int
    frequencies: dict[str, int]
    listed_df: int | None = None
    depth: int = 0

    def vocabulary(self) -> Mapping[str, int]:
        return self.frequencies

    def idf(self, term: str) -> float:
        n = max(self.size, 1)
        df = self.frequencies.get(term)
        if df is None:
            return float(np.log1p(n))
        return float(np.log1p(n / max(df, 1)))
