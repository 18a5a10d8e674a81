"""The PostgreSQL store's lexical side: BM25 in SQL over each chunk's tsvector, bounded.

The terms are index/lexical.py's French ones (elisions cut, accent-folded, stopwords
dropped, Snowball-stemmed), scored with bm25s's formula and statistics (each term's score
in single precision), so that both stores rank alike. The cost is bounded
(`lexical_plan`): candidates are the chunks holding the query's rarest terms, found
through the GIN index, while those terms' document frequencies add up to at most
`LEXICAL_CANDIDATES`; every candidate is then scored with the whole query. Below that
many postings (every corpus of a few thousand chunks) this is exact BM25; above it, a
chunk holding only the common terms is not a candidate, which changes the top n only
when its best possible score (the sum of those terms' idf) beats the n-th candidate's
(`LexicalPlan.exact`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# bm25s's defaults (index/lexical.py): k1, b.
K1, B = 1.2, 0.75
# Postings the lexical side reads per question, at most (see the module docstring).
LEXICAL_CANDIDATES = 2_000

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
m AS (SELECT id, length, lexemes FROM {s}.chunks WHERE lexemes @@ %(query)s::tsquery {cap}),
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


@dataclass(frozen=True)
class LexicalPlan:
    """Which query terms find the lexical candidates, and what the others could add."""

    seeds: list[str]  # distinct terms matched through the GIN index, rarest first
    capped: bool  # even the rarest term is above the budget: its newest chunks only
    bound: float  # the highest BM25 a chunk holding none of the seeds can reach

    def exact(self, scores: Sequence[float], n: int) -> bool:
        """Whether the top `n` found are the top `n` of a BM25 over every chunk."""
        if self.capped:
            return False
        if self.bound == 0:
            return True
        return len(scores) >= n and scores[n - 1] >= self.bound


def lexical_plan(
    terms: Sequence[str], frequencies: Mapping[str, int], size: int, budget: int
) -> LexicalPlan:
    """The rarest terms while their postings add up to `budget` (at least the rarest);
    `bound` sums the idf of the others, as often as the query repeats them (a term's
    BM25 share is its idf times tf / (tf + k1 * norm), always below its idf)."""
    distinct = sorted(dict.fromkeys(terms), key=lambda t: (frequencies[t], t))
    seeds: list[str] = []
    postings = 0
    for term in distinct:
        if seeds and postings + frequencies[term] > budget:
            break
        seeds.append(term)
        postings += frequencies[term]
    left = set(distinct[len(seeds) :])
    bound = sum(bm25_idf(frequencies[t], size) for t in terms if t in left)
    return LexicalPlan(seeds, capped=frequencies[seeds[0]] > budget, bound=bound)


def bm25_idf(df: int, size: int) -> float:
    """bm25s's (Lucene's) idf, as the SQL computes it."""
    return float(np.log(1 + (size - df + 0.5) / (df + 0.5)))


@dataclass(frozen=True)
class PgLexicon:
    """Document frequencies of every term (index/lexical.py's LexicalIndex statistics)."""

    size: int
    frequencies: dict[str, int]

    def vocabulary(self) -> Mapping[str, int]:
        return self.frequencies

    def idf(self, term: str) -> float:
        n = max(self.size, 1)
        df = self.frequencies.get(term)
        if df is None:
            return float(np.log1p(n))
        return float(np.log1p(n / max(df, 1)))
