"""`newsbot train`: fit the answer ranker and abstainer on shipped question files.

Data (all in the repository; tests/data/piaf is rebuilt from PIAF by bot/answer/piaf.py):
- the ranker learns from PIAF's train split and the tuned news file gold.jsonl;
- the abstainer and its threshold are fitted on data the ranker never saw: PIAF's calib
  split and the tuned news files dev.jsonl and blind.jsonl;
- PIAF's dev split is scored once at the end, for the manifest; nothing is chosen on it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from bot.answer.abstain import ABSTAIN_FEATURES, passes_checks, ranking_features
from bot.answer.gather import gather
from bot.answer.learn import RankerParams, Sample, abstainer_from, choose_threshold, fit_ranker
from bot.answer.ranker import Abstainer, AnswerModel, Ranker, save_answer_model
from bot.evaluate import GoldQuestion, holds_fact, load_questions
from bot.question import clean_question, detect_language
from bot.settings import Settings
from index.search import HybridSearcher

log = logging.getLogger("newsbot.train")

Array = NDArray[np.float64]
SEED = 20240619
# A second sentence is quoted when the ranker gives it at least this share of the first's
# weight: on PIAF's calib split, 0.3 quotes two sentences in a third of answers.
SECOND_SHARE = 0.3


@dataclass(frozen=True)
class TrainingSet:
    """A question file and the corpus it is asked of."""

    name: str
    qa: Path
    source: Path


def training_sets(root: Path) -> dict[str, list[TrainingSet]]:
    piaf = root / "tests" / "data" / "piaf"
    seeds = root / "seeds"
    news = root / "tests" / "data"
    return {
        "ranker": [
            TrainingSet("piaf-train", piaf / "train.jsonl", piaf / "train" / "corpus"),
            TrainingSet("news-gold", news / "gold.jsonl", seeds),
        ],
        "abstainer": [
            TrainingSet("piaf-calib", piaf / "calib.jsonl", piaf / "calib" / "corpus"),
            TrainingSet("news-dev", news / "dev.jsonl", seeds),
            TrainingSet("news-blind", news / "blind.jsonl", seeds),
        ],
        "report": [TrainingSet("piaf-dev", piaf / "dev.jsonl", piaf / "dev" / "corpus")],
    }


def every_set(sets: dict[str, list[TrainingSet]]) -> list[TrainingSet]:
    """The sets of every role, in the order the model's data hash reads them."""
    return [s for role in sets.values() for s in role]


def collect(
    questions: Sequence[GoldQuestion], searcher: HybridSearcher, k: int, group: str
) -> list[Sample]:
    """Each question's candidate features, labelled by whether a sentence holds the answer."""
    samples = []
    for q in questions:
        text = clean_question(q.question)
        found = gather(text, detect_language(text), searcher, k)
        labels = np.array([holds_fact(c.text, q.expected) for c in found.candidates], dtype=bool)
        origin = q.sources[0] if q.sources else f"{group}:{q.line}"
        samples.append(Sample(found.features, labels, q.answerable, f"{group}:{origin}"))
    return samples


@dataclass(frozen=True)
class Figures:
    """Answer figures on one set, for a given threshold."""

    questions: int
    right: float  # answerable questions answered with a sentence holding the answer
    answerable_refused: float
    unanswerable_refused: float
    top1: float  # answerable questions whose best sentence holds the answer, refusals aside


def abstain_rows(
    ranker: Ranker, samples: Sequence[Sample]
) -> tuple[Array, NDArray[np.bool_], NDArray[np.bool_]]:
    """Per question: the abstainer's inputs (NaN where nothing was found), whether the
    best sentence holds the answer, and whether it gives the kind of answer asked."""
    rows = np.full((len(samples), len(ABSTAIN_FEATURES)), np.nan)
    right = np.zeros(len(samples), dtype=bool)
    kind = np.zeros(len(samples), dtype=bool)
    for i, s in enumerate(samples):
        if len(s.labels):
            logits = ranker.logits(s.features)
            rows[i] = ranking_features(logits, s.features)
            right[i] = bool(s.labels[int(np.argmax(logits))])
            kind[i] = passes_checks(logits, s.features)
    return rows, right, kind


def _probabilities(abstainer: Abstainer, rows: Array, kind: NDArray[np.bool_]) -> Array:
    """P(answer) per question; 0 where nothing was found or the kind asked is missing."""
    return np.array(
        [
            abstainer.probability(row) if ok and not np.isnan(row).any() else 0.0
            for row, ok in zip(rows, kind, strict=True)
        ]
    )


def figures(model: AnswerModel, samples: Sequence[Sample]) -> Figures:
    rows, right, kind = abstain_rows(model.ranker, samples)
    answered = _probabilities(model.abstainer, rows, kind) >= max(model.abstainer.threshold, 1e-9)
    has = np.array([s.answerable for s in samples])
    n_has = max(int(has.sum()), 1)
    n_not = max(int((~has).sum()), 1)
    return Figures(
        questions=len(samples),
        right=float((answered & right & has).sum() / n_has),
        answerable_refused=float((~answered & has).sum() / n_has),
        unanswerable_refused=float((~answered & ~has).sum() / n_not),
        top1=float((right & has).sum() / n_has),
    )


def corpus_weights(corpora: Sequence[str]) -> Array:
    """Weights under which each corpus counts as much as any other, whatever its size."""
    names, index, counts = np.unique(np.asarray(corpora), return_inverse=True, return_counts=True)
    return len(corpora) / (len(names) * counts[index])  # type: ignore[no-any-return]


def fit_model(
    ranker_samples: Sequence[Sample],
    abstainer_samples: Sequence[Sample],
    corpora: Sequence[str],
    params: RankerParams,
    seed: int = SEED,
) -> AnswerModel:
    """The ranker on its samples; the abstainer and its threshold on the others (each
    corpus weighted equally, `corpora[i]` naming the corpus of `abstainer_samples[i]`)."""
    ranker = fit_ranker(ranker_samples, params, seed)
    rows, right, kind = abstain_rows(ranker, abstainer_samples)
    has = np.array([s.answerable for s in abstainer_samples])
    weights = corpus_weights(corpora)
    usable = ~np.isnan(rows).any(axis=1)
    fitted = abstainer_from(rows[usable], right[usable].astype(float), 0.5, weights=weights[usable])
    probabilities = _probabilities(fitted, rows, kind).tolist()
    threshold = choose_threshold(probabilities, list(right & has), list(has), weights=list(weights))
    manifest = {
        "seed": seed,
        "ranker": asdict(params),
        "threshold_rule": "most right + refused; answerable refused <= 0.10; corpora equal",
    }
    return AnswerModel(ranker, replace(fitted, threshold=threshold), SECOND_SHARE, manifest)


def data_hash(sets: Sequence[TrainingSet]) -> str:
    """sha256 over the question files and every corpus file, in a fixed order."""
    digest = hashlib.sha256()
    for s in sets:
        for path in [s.qa, *sorted(p for p in s.source.rglob("*") if p.is_file())]:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def code_revision(root: Path) -> str:
    """The commit the model was trained from, "+dirty" when files had changed since."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
        return run.stdout.strip() if run.returncode == 0 else ""

    try:
        revision = git("rev-parse", "HEAD") or "unknown"
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "bot", "index")
    except OSError:
        return "unknown"
    return revision + ("+dirty" if dirty else "")


def write_model(folder: Path, model: AnswerModel, extra: dict[str, object]) -> None:
    save_answer_model(
        folder,
        AnswerModel(model.ranker, model.abstainer, model.second_share, {**model.manifest, **extra}),
    )


def dump_figures(f: Figures) -> dict[str, float]:
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(f).items()}


def run_training(
    root: Path,
    out: Path | None,
    *,
    seed: int,
    index_for: Callable[[Path], Path],
    embedder_settings: Settings,
    k: int = 5,
    calibration: Sequence[TrainingSet] = (),
) -> str:
    """Index every corpus, collect features, fit, score and write the model; a summary.

    `calibration` adds question files of the user's own corpora to the abstainer's data."""
    from bot.answer.ranker import default_model_dir
    from index.embed import load_embedder
    from index.store.faiss import load_index

    embedder = load_embedder(
        embedder_settings.embedding_model,
        query_prefix=embedder_settings.query_prefix,
        passage_prefix=embedder_settings.passage_prefix,
    )
    sets = training_sets(root)
    sets["abstainer"] = [*sets["abstainer"], *calibration]
    collected: dict[str, list[Sample]] = {}
    for role in sets.values():
        for s in role:
            folder = index_for(s.source)
            index = load_index(folder, embedder=embedder.name, dimension=embedder.dimension)
            searcher = HybridSearcher.from_index(index, embedder)
            started = time.perf_counter()
            collected[s.name] = collect(load_questions(s.qa), searcher, k, s.name)
            log.info(
                "%s: %d questions in %.0f s",
                s.name,
                len(collected[s.name]),
                time.perf_counter() - started,
            )

    def pick(role: str) -> list[Sample]:
        return [x for s in sets[role] for x in collected[s.name]]

    corpora = [str(s.source) for s in sets["abstainer"] for _ in collected[s.name]]
    model = fit_model(pick("ranker"), pick("abstainer"), corpora, RankerParams(), seed)
    scores = {name: dump_figures(figures(model, samples)) for name, samples in collected.items()}
    folder = out or default_model_dir()
    folder.mkdir(parents=True, exist_ok=True)
    write_model(
        folder,
        model,
        {
            "data_sha256": data_hash(every_set(sets)),
            "code_revision": code_revision(root),
            "embedder": embedder.name,
            "k": k,
            "figures": scores,
        },
    )
    lines = [f"model written to {folder}"]
    lines += [f"{name}: {json.dumps(f)}" for name, f in scores.items()]
    return "\n".join(lines)
