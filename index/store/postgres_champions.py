"""Champion lists: for each common term, the chunks where it weighs most in BM25.

A term held by more chunks than the lexical budget cannot find candidates through the
GIN index at a bounded cost (index/store/postgres_lexical.py). For every term held by
more than `champion_df` chunks the store keeps its `depth` chunks of highest impact,
tf / (tf + k1 * (1 - b + b * length / avgdl)): the term's BM25 share without its idf,
which orders the term's chunks as BM25 does. A question's common terms then bring their
champions as candidates, a few hundred rows read through a btree, at any corpus size.

The lists are kept so that every chunk outside a term's list has an impact at most the
list's lowest (its floor), which bounds what a chunk outside every list can score: a new
chunk joins a list only at or above its floor, the list is then trimmed back to `depth`,
and a list that deletions shrank below half its depth is computed again from every
chunk holding the term (through the GIN index).

Impacts use the average chunk length (avgdl) of the build that wrote them; today's may
be larger, which raises every impact, most of all a long chunk's. The state keeps the
least avgdl the lists were written with, `champion_avgdl`: with r = min(1, that / today's),
k1 * norm today is at least r times what it was, so an impact outside a list is at most
1 / (1 + (1 / floor - 1) * r) (the floors readers use, postgres_lexical.py).
When today's avgdl is more than `AVGDL_DRIFT` above it, every list is computed again.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from index.store.postgres_lexical import K1, B

# Terms held by more chunks than this get a list (below LEXICAL_CANDIDATES, so that the
# GIN index finds the rest within the budget) ...
CHAMPION_DF = 1_000
# ... of this many chunks.
CHAMPION_DEPTH = 200
# Every list is computed again once the average chunk length grew this much (a share)
# above the least one its impacts were computed with: past it the floors readers loosen
# (module docstring) bound fewer questions exactly.
AVGDL_DRIFT = 0.05

# The impact of lexeme `u` in chunk `c`, the average chunk length being `a.avgdl`.
_IMPACT = (
    f"(cardinality(u.positions)::float8 / (cardinality(u.positions) + {K1} * "
    f"(1 - {B} + {B} * c.length / a.avgdl)))::real"
)
_AVGDL = "(SELECT total_length::float8 / greatest(chunk_count, 1) AS avgdl FROM {s}.state) a"

# The best `depth` chunks of {source} for each of `terms`, each above its list's floor
# (its lowest impact, the first entry of its index; a term without a list has none).
_MERGE = f"""
WITH floors AS (
    SELECT t.term, f.impact AS floor FROM unnest(%(terms)s::text[]) AS t (term)
    CROSS JOIN LATERAL (SELECT impact FROM {{s}}.champions ch WHERE ch.term = t.term
                        ORDER BY impact LIMIT 1) f
)
INSERT INTO {{s}}.champions (term, impact, chunk_id)
SELECT term, impact, id FROM (
    SELECT u.lexeme AS term, {_IMPACT} AS impact, c.id,
           row_number() OVER (PARTITION BY u.lexeme ORDER BY {_IMPACT} DESC, c.id DESC) AS r
    FROM {{s}}.chunks c {{source}} CROSS JOIN {_AVGDL}, unnest(c.lexemes) u
    WHERE u.lexeme = ANY(%(terms)s::text[])
) x LEFT JOIN floors f USING (term)
WHERE x.r <= %(depth)s AND (f.floor IS NULL OR x.impact > f.floor)
RETURNING term
"""
_NEW_CHUNKS = "JOIN stage_chunks n ON n.id = c.id"

# The lists of `terms` computed from every chunk holding them (through the GIN index).
_REBUILD = f"""
INSERT INTO {{s}}.champions (term, impact, chunk_id)
SELECT t.term, x.impact, x.id FROM unnest(%(terms)s::text[]) AS t (term)
CROSS JOIN LATERAL (
    SELECT c.id, {_IMPACT} AS impact
    FROM {{s}}.chunks c CROSS JOIN {_AVGDL},
         unnest(ts_filter(setweight(c.lexemes, 'A', ARRAY[t.term]), '{{{{a}}}}')) u
    WHERE c.lexemes @@ quote_literal(t.term)::tsquery
    ORDER BY 2 DESC, 1 DESC LIMIT %(depth)s
) x
"""

# Rows past `depth` in the lists of `terms`.
_TRIM = """
DELETE FROM {s}.champions ch USING (
    SELECT t.term, x.chunk_id FROM unnest(%(terms)s::text[]) AS t (term)
    CROSS JOIN LATERAL (SELECT chunk_id FROM {s}.champions c WHERE c.term = t.term
                        ORDER BY impact DESC, chunk_id DESC OFFSET %(depth)s) x
) d WHERE ch.term = d.term AND ch.chunk_id = d.chunk_id
"""

# How many rows each of `terms` has, counted up to `upto` (an index probe, not a scan).
_SIZES = """
SELECT t.term, (SELECT count(*) FROM (SELECT 1 FROM {s}.champions c WHERE c.term = t.term
                LIMIT t.upto) x)
FROM unnest(%(terms)s::text[], %(upto)s::integer[]) AS t (term, upto)
"""


def update_champions(
    conn: psycopg.Connection[Any],
    schema: str,
    *,
    fresh: bool,
    added: bool,
    threshold: int = CHAMPION_DF,
    depth: int = CHAMPION_DEPTH,
) -> None:
    """Bring the lists up to date once chunks were deleted and `stage_chunks` inserted
    (when `added`), with the lexicon, `stage_terms` (the terms whose frequency changed)
    and the state row written. `fresh`: no chunk was there before this build."""
    s = sql.Identifier(schema)
    stored = conn.execute(
        sql.SQL(
            "SELECT champion_df, champion_depth, champion_avgdl, "
            "total_length::float8 / greatest(chunk_count, 1) FROM {}.state"
        ).format(s)
    ).fetchone()
    params: dict[str, Any] = {"depth": depth}
    avgdl = float(stored[3]) if stored is not None else 0.0
    least: float | None = None if stored is None or stored[2] is None else float(stored[2])
    drifted = least is None or avgdl > least * (1 + AVGDL_DRIFT)
    if fresh or stored is None or tuple(stored[:2]) != (threshold, depth) or drifted:
        # Every list from every chunk, in one pass over them.
        conn.execute(sql.SQL("DELETE FROM {}.champions").format(s))
        query = sql.SQL("SELECT term FROM {}.lexicon WHERE df > %s").format(s)
        listed = [str(r[0]) for r in conn.execute(query, (threshold,))]
        if listed:
            merge = sql.SQL(_MERGE).format(s=s, source=sql.SQL(""))
            conn.execute(merge, {**params, "terms": listed})
        least = avgdl
    else:
        _update(conn, s, params, added=added, threshold=threshold, depth=depth)
        least = avgdl if least is None else min(least, avgdl)
    conn.execute(
        sql.SQL(
            "UPDATE {}.state SET champion_df = %s, champion_depth = %s, champion_avgdl = %s"
        ).format(s),
        (threshold, depth, least),
    )


def ensure_champions(
    conn: psycopg.Connection[Any], schema: str, threshold: int, depth: int
) -> None:
    """An index written before the lists or their avgdl (schemas 2 and 3, migrated) gets
    them now, so that an unchanged corpus, which writes no build, is not left without."""
    row = conn.execute(
        sql.SQL("SELECT champion_df, champion_avgdl FROM {}.state").format(sql.Identifier(schema))
    ).fetchone()
    if row is not None and (row[0] is None or row[1] is None):
        update_champions(conn, schema, fresh=True, added=False, threshold=threshold,
                         depth=depth)  # fmt: skip


def _update(
    conn: psycopg.Connection[Any],
    s: sql.Identifier,
    params: dict[str, Any],
    *,
    added: bool,
    threshold: int,
    depth: int,
) -> None:
    """The lists of the terms this build touched: gone when no longer common (were the
    term to come back, a list merged from new chunks only would miss the old ones),
    computed again when new or shrunk below half, else merged with the new chunks."""
    touched = {
        str(term): (int(df or 0), bool(shrunk))
        for term, df, shrunk in conn.execute(
            sql.SQL(
                "SELECT t.term, l.df, t.shrunk FROM (SELECT term, bool_or(delta < 0) AS shrunk "
                "FROM stage_terms GROUP BY term) t LEFT JOIN {}.lexicon l USING (term)"
            ).format(s)
        )
    }
    dropped = [t for t, (df, _) in touched.items() if df <= threshold]
    listed = [t for t, (df, _) in touched.items() if df > threshold]
    if dropped:
        conn.execute(sql.SQL("DELETE FROM {}.champions WHERE term = ANY(%s)").format(s), (dropped,))
    # A list only deletions shrink: counted up to half its depth; the others only need
    # to exist (a term just become common has none).
    half = max(depth // 2, 1)
    wanted = {t: half if touched[t][1] else 1 for t in listed}
    sizes = conn.execute(
        sql.SQL(_SIZES).format(s=s), {"terms": listed, "upto": [wanted[t] for t in listed]}
    )
    rebuilt = [str(t) for t, n in sizes if int(n) < wanted[str(t)]]
    kept = set(listed) - set(rebuilt)
    merged = [t for t in listed if t in kept]
    if rebuilt:
        conn.execute(sql.SQL("DELETE FROM {}.champions WHERE term = ANY(%s)").format(s), (rebuilt,))
        conn.execute(sql.SQL(_REBUILD).format(s=s), {**params, "terms": rebuilt})
    if merged and added:
        merge = sql.SQL(_MERGE).format(s=s, source=sql.SQL(_NEW_CHUNKS))
        grown = {str(r[0]) for r in conn.execute(merge, {**params, "terms": merged})}
        if grown:
            conn.execute(sql.SQL(_TRIM).format(s=s), {**params, "terms": sorted(grown)})
