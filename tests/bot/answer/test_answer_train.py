"""`newsbot train` end to end on a tiny repository-shaped dataset, with the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer.ranker import load_answer_model
from bot.answer.train import SEED, run_training
from bot.settings import Settings
from index.chunk import ChunkSettings
from index.corpora import ensure_corpus_index
from index.embed import load_embedder

ARTICLES = {
    "pont.txt": "Le pont de Normandie\n\nLe pont de Normandie a été inauguré en 1995. "
    "Il mesure 2 143 mètres de long. Il relie Le Havre à Honfleur au-dessus de la Seine.",
    "tour.txt": "La tour Eiffel\n\nLa tour Eiffel a été construite par Gustave Eiffel. "
    "Elle a été achevée en 1889 pour l'Exposition universelle. Elle mesure 330 mètres.",
}
QUESTIONS = [
    ("Quand le pont de Normandie a-t-il été inauguré ?", ["1995"], "pont.txt"),
    ("Quelle est la longueur du pont ?", ["2 143 mètres"], "pont.txt"),
    ("Quelles villes le pont relie-t-il ?", ["Honfleur"], "pont.txt"),
    ("Qui a construit la tour Eiffel ?", ["Gustave Eiffel"], "tour.txt"),
    ("Quand la tour a-t-elle été achevée ?", ["1889"], "tour.txt"),
    ("Quelle est la hauteur de la tour ?", ["330 mètres"], "tour.txt"),
    ("Quel est le prix du billet pour la tour ?", [], None),
    ("Qui a gagné la coupe du monde de rugby ?", [], None),
]


def _repository(root: Path) -> None:
    """The layout `training_sets` reads, each corpus the same two articles."""
    corpora = [root / "seeds"] + [
        root / f"tests/data/piaf/{s}/corpus" for s in ("train", "calib", "dev")
    ]
    for corpus in corpora:
        corpus.mkdir(parents=True)
        for name, text in ARTICLES.items():
            (corpus / name).write_text(text, encoding="utf-8")
    lines = "".join(
        json.dumps({"question": q, "expected": e, "sources": [s] if s else [], "tags": []}) + "\n"
        for q, e, s in QUESTIONS
    )
    for qa in ("gold", "dev", "blind", "piaf/train", "piaf/calib", "piaf/dev"):
        (root / f"tests/data/{qa}.jsonl").write_text(lines, encoding="utf-8")


@pytest.mark.slow
def test_training_writes_a_model_that_loads_and_records_its_provenance(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    _repository(root)
    settings = Settings(index_dir=tmp_path / "data" / "index")
    embedder = load_embedder()

    def index_for(source: Path) -> Path:
        folder, _ = ensure_corpus_index(source, tmp_path / "data", embedder, ChunkSettings())
        return folder

    out = tmp_path / "model"
    summary = run_training(root, out, seed=SEED, index_for=index_for, embedder_settings=settings)
    assert "model written to" in summary
    model = load_answer_model(out)
    manifest = model.manifest
    assert manifest["seed"] == SEED and len(manifest["data_sha256"]) == 64
    assert set(manifest["figures"]) == {
        "piaf-train", "news-gold", "piaf-calib", "news-dev", "news-blind", "piaf-dev",
    }  # fmt: skip
    # Six answerable questions in two short articles: the ranker finds most of them.
    assert manifest["figures"]["piaf-dev"]["top1"] >= 0.5
    # The same data and seed give the same weights.
    again = tmp_path / "again"
    run_training(root, again, seed=SEED, index_for=index_for, embedder_settings=settings)
    twin = load_answer_model(again)
    assert (twin.ranker.w1 == model.ranker.w1).all()
    assert twin.abstainer.threshold == model.abstainer.threshold
