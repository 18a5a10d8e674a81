"""Sanity checks for tests/data/gold.jsonl (the gold question set).

Run:  .venv/bin/python tests/data/check_gold.py          (checks, exits 1 on error)
      .venv/bin/python tests/data/check_gold.py --counts (also prints counts per tag)

Checks, for every entry:
  * fields question/expected/sources/tags have the right types; tags are known;
  * unanswerable entries (tag "unanswerable") have expected == [] and sources == [];
  * answerable entries list existing seed files, and in EACH listed source at
    least one expected string occurs (case-insensitive, verbatim otherwise);
  * "no-accents" questions contain no accented letter;
  * the hard minimums of the set (totals, tags, per-source coverage) hold.
Standalone: uses only the standard library, never the project's code.
"""
import collections
import json
import pathlib
import sys
import unicodedata

ROOT = pathlib.Path(__file__).resolve().parents[2]
GOLD = ROOT / "tests" / "data" / "gold.jsonl"
SEEDS = ROOT / "seeds"

TAGS = {
    "factoid", "paraphrase", "no-accents", "typo", "english", "unanswerable",
    "near-topic", "who", "when", "where", "how-many", "why", "what", "multi-source",
}


def fold(text: str) -> str:
    """Lower-case and strip accents: the matching rule of the gold set."""
    text = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in text if not unicodedata.combining(c))


def holds_fact(answer: str, expected: list[str]) -> bool:
    """True when any expected string occurs in the answer (folded)."""
    a = fold(answer)
    return any(fold(e) in a for e in expected)


def load() -> list[dict]:
    rows = []
    with GOLD.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                rows.append((n, json.loads(line)))
    return rows


def main() -> int:
    errors = []
    rows = load()
    per_source = collections.Counter()
    tags = collections.Counter()
    questions = set()
    for n, o in rows:
        where = f"line {n}: {o.get('question')!r}"
        if set(o) != {"question", "expected", "sources", "tags"}:
            errors.append(f"{where}: bad fields {sorted(o)}")
            continue
        q, exp, src, tg = o["question"], o["expected"], o["sources"], o["tags"]
        if not isinstance(q, str) or not q.strip():
            errors.append(f"{where}: empty question")
        if q in questions:
            errors.append(f"{where}: duplicate question")
        questions.add(q)
        if not all(isinstance(x, list) for x in (exp, src, tg)):
            errors.append(f"{where}: expected/sources/tags must be lists")
            continue
        unknown = set(tg) - TAGS
        if unknown:
            errors.append(f"{where}: unknown tags {unknown}")
        tags.update(tg)
        if "no-accents" in tg and fold(q) != q.lower():
            errors.append(f"{where}: tagged no-accents but has accents")
        if "unanswerable" in tg or not exp or not src:
            if not ("unanswerable" in tg and exp == [] and src == []):
                errors.append(f"{where}: unanswerable needs tag + expected==[] + sources==[]")
            continue
        if ("multi-source" in tg) != (len(src) >= 2):
            errors.append(f"{where}: multi-source tag vs {len(src)} sources")
        for s in src:
            path = SEEDS / s
            if not path.is_file():
                errors.append(f"{where}: missing source file {s}")
                continue
            text = path.read_text(encoding="utf-8")
            # verbatim up to case (stricter than the folded matching rule)
            if not any(e.lower() in text.lower() for e in exp):
                errors.append(f"{where}: no expected string in {s}")
            per_source[s] += 1

    answerable = sum(1 for _, o in rows if o["expected"])
    total = len(rows)
    en_unans = sum(1 for _, o in rows if "english" in o["tags"] and not o["expected"])
    mins = [
        ("total", total, 66), ("answerable", answerable, 48),
        ("unanswerable", tags["unanswerable"], 18), ("near-topic", tags["near-topic"], 7),
        ("paraphrase", tags["paraphrase"], 10), ("no-accents", tags["no-accents"], 6),
        ("typo", tags["typo"], 5), ("english (answerable)", tags["english"] - en_unans, 7),
        ("english (unanswerable)", en_unans, 1),
    ]
    for name, got, need in mins:
        if got < need:
            errors.append(f"minimum not met: {name} = {got} < {need}")
    for s in sorted(p.name for p in SEEDS.glob("*.txt")):
        if per_source[s] < 6:
            errors.append(f"minimum not met: {s} is source of {per_source[s]} < 6")

    if "--counts" in sys.argv:
        print(f"total: {total}  answerable: {answerable}  unanswerable: {total - answerable}")
        print(f"english: {tags['english'] - en_unans} answerable + {en_unans} unanswerable")
        print("per tag:")
        for t, c in sorted(tags.items(), key=lambda x: (-x[1], x[0])):
            print(f"  {t:14s} {c}")
        print("answerable questions per source:")
        for s, c in sorted(per_source.items()):
            print(f"  {s} {c}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
