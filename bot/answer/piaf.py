"""PIAF (SQuAD v1 JSON) → corpus folders and QA files, split by article.

Unanswerable questions are made SQuAD 2.0-style: a paragraph left out of the corpus makes
its questions near-topic (the article is there, that paragraph is not), an article left
out makes its questions off-topic. A question stays unanswerable only if none of its
answers occurs anywhere in the corpus; otherwise it is dropped, as ambiguous.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from index.lexical import fold_accents as fold

# Split by article (a hash of the title, so adding articles moves none of the others).
SPLITS = ("train", "calib", "dev")


@dataclass(frozen=True)
class _Question:
    text: str
    answers: tuple[str, ...]
    article: str  # file name
    paragraph: int


def _bucket(key: str, salt: str, n: int) -> int:
    return int(hashlib.sha256(f"{salt}:{key}".encode()).hexdigest(), 16) % n


def split_of(title: str) -> str:
    """dev: one article in five; calib: one in five of the rest; train: the others."""
    if _bucket(title, "split", 5) == 0:
        return "dev"
    return "calib" if _bucket(title, "calib", 4) == 0 else "train"


def _file_name(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60] or "article"
    return f"{slug}-{hashlib.sha256(title.encode()).hexdigest()[:8]}.txt"


def build_piaf(source: Path, out: Path) -> dict[str, dict[str, int]]:
    """Write `out/<split>/corpus/*.txt` and `out/<split>.jsonl`; returns counts per split."""
    data = json.loads(source.read_text(encoding="utf-8"))["data"]
    counts: dict[str, dict[str, int]] = {}
    for split in SPLITS:
        articles = [a for a in data if split_of(a["title"]) == split]
        counts[split] = _write_split(articles, out / split / "corpus", out / f"{split}.jsonl")
    return counts


def _write_split(articles: list[dict], corpus: Path, qa_file: Path) -> dict[str, int]:  # type: ignore[type-arg]
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)
    questions: list[_Question] = []
    texts: dict[str, str] = {}
    kept_out: set[tuple[str, int]] = set()
    for article in articles:
        name = _file_name(article["title"])
        paragraphs = [p["context"].strip() for p in article["paragraphs"]]
        off_topic = _bucket(article["title"], "off-topic", 8) == 0
        near = (
            _bucket(article["title"], "near-topic", len(paragraphs))
            if len(paragraphs) >= 2
            else None
        )
        for i, p in enumerate(article["paragraphs"]):
            for qa in p["qas"]:
                answers = tuple(dict.fromkeys(a["text"].strip() for a in qa["answers"]))
                questions.append(_Question(qa["question"].strip(), answers, name, i))
            if off_topic or i == near:
                kept_out.add((name, i))
        shown = [p for i, p in enumerate(paragraphs) if (name, i) not in kept_out]
        if shown:
            texts[name] = "\n\n".join([article["title"], *shown]) + "\n"
    for name, text in texts.items():
        (corpus / name).write_text(text, encoding="utf-8")
    folded_corpus = fold("\n".join(texts.values()))
    counts = {"articles": len(texts), "answerable": 0, "near-topic": 0, "off-topic": 0}
    with qa_file.open("w", encoding="utf-8") as f:
        for q in questions:
            row = _row(q, (q.article, q.paragraph) in kept_out, q.article in texts, folded_corpus)
            if row is None:
                continue
            kind = "answerable" if row["expected"] else row["tags"][1]
            counts[kind] += 1
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return counts


def _row(q: _Question, kept_out: bool, article_shown: bool, corpus: str) -> dict | None:  # type: ignore[type-arg]
    answers = [a for a in q.answers if a]
    if not q.text or not answers:
        return None
    if not kept_out:
        return {
            "question": q.text,
            "expected": answers,
            "sources": [q.article],
            "tags": ["factoid"],
        }
    if any(fold(a) in corpus for a in q.answers):
        return None  # the answer is stated elsewhere: not truly unanswerable
    kind = "near-topic" if article_shown else "off-topic"
    return {"question": q.text, "expected": [], "sources": [], "tags": ["unanswerable", kind]}


def main() -> None:
    """`python -m bot.answer.piaf [PIAF_JSON] [OUT]`: rebuild tests/data/piaf."""
    import sys

    from bot.settings import PROJECT_ROOT

    source = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else PROJECT_ROOT.parent / "shared" / "data" / "piaf" / "piaf-train.json"
    )
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else PROJECT_ROOT / "tests" / "data" / "piaf"
    for split, counts in build_piaf(source, out).items():
        print(split, counts)


if __name__ == "__main__":
    main()
