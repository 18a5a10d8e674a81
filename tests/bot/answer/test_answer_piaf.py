"""PIAF → corpus and questions: split by article, unanswerable questions truly unanswered."""

from __future__ import annotations

import json
from pathlib import Path

from bot.answer import piaf


def _article(title: str, paragraphs: list[tuple[str, list[tuple[str, str]]]]) -> dict:  # type: ignore[type-arg]
    return {
        "title": title,
        "paragraphs": [
            {
                "context": context,
                "qas": [
                    {
                        "question": q,
                        "id": f"{title}{i}{j}",
                        "answers": [{"text": a, "answer_start": context.find(a)}],
                    }
                    for j, (q, a) in enumerate(qas)
                ],
            }
            for i, (context, qas) in enumerate(paragraphs)
        ],
    }


def _data(n: int) -> dict:  # type: ignore[type-arg]
    articles = []
    for i in range(n):
        articles.append(
            _article(
                f"Article {i}",
                [
                    (
                        f"Le pont {i} fut construit en {1800 + i}.",
                        [(f"Quand le pont {i} ?", str(1800 + i))],
                    ),
                    (
                        f"La tour {i} mesure {100 + i} mètres.",
                        [("Quelle hauteur ?", f"{100 + i} mètres")],
                    ),
                    (f"Le pont {i} est en pierre.", [("En quoi ?", "pierre")]),
                ],
            )
        )
    return {"data": articles}


def test_articles_are_split_by_title_into_disjoint_corpora(tmp_path: Path) -> None:
    source = tmp_path / "piaf.json"
    source.write_text(json.dumps(_data(40)), encoding="utf-8")
    counts = piaf.build_piaf(source, tmp_path / "out")
    names = {
        split: {p.name for p in (tmp_path / "out" / split / "corpus").iterdir()}
        for split in piaf.SPLITS
    }
    assert all(names.values())
    assert not names["train"] & names["dev"] and not names["train"] & names["calib"]
    assert sum(c["articles"] for c in counts.values()) <= 40
    # The same title always lands in the same split.
    assert {piaf.split_of(f"Article {i}") for i in range(40)} == set(piaf.SPLITS)


def test_unanswerable_questions_have_no_answer_anywhere_in_their_corpus(tmp_path: Path) -> None:
    source = tmp_path / "piaf.json"
    source.write_text(json.dumps(_data(40)), encoding="utf-8")
    piaf.build_piaf(source, tmp_path / "out")
    kinds: set[str] = set()
    for split in piaf.SPLITS:
        corpus = " ".join(
            p.read_text(encoding="utf-8").lower()
            for p in (tmp_path / "out" / split / "corpus").iterdir()
        )
        for line in (tmp_path / "out" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["expected"]:
                assert all(e.lower() in corpus for e in row["expected"])
                assert row["sources"] and row["tags"] == ["factoid"]
            else:
                kinds.add(row["tags"][1])
                assert row["tags"][0] == "unanswerable"
    assert kinds == {"near-topic", "off-topic"}


def test_a_left_out_answer_stated_elsewhere_is_dropped(tmp_path: Path) -> None:
    # "pierre" is left out with one paragraph but stated in another article: ambiguous.
    data = _data(40)
    for article in data["data"]:
        article["paragraphs"][2]["context"] = "Le pont est en pierre."
    source = tmp_path / "piaf.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    piaf.build_piaf(source, tmp_path / "out")
    for split in piaf.SPLITS:
        for line in (tmp_path / "out" / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            assert row["question"] != "En quoi ?" or row["expected"]
