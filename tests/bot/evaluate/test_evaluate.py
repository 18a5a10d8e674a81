"""The evaluation harness: metric maths, the gold-file loader, floors, feedback replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.evaluate.gold import (
    GoldQuestion,
    QAFileError,
    first_hit_rank,
    good_citations,
    holds_fact,
    load_questions,
)
from bot.evaluate.replay import read_negative_feedback, render_replay, replay_feedback
from bot.evaluate.report import check_floors, render_table
from bot.evaluate.run import (
    EvalReport,
    QuestionResult,
    build_report,
    calibrate,
    percentile,
    run_evaluation,
)
from bot.models import Answer, Citation, Passage
from bot.settings import Settings
from index.embed import VectorEmbeddings
from index.models import Article, Chunk, Hit

ROOT = Path(__file__).resolve().parents[3]
GOLD = ROOT / "tests" / "data" / "gold.jsonl"
JSON_KEYS = {
    "hit@1",
    "hit@3",
    "hit@5",
    "mrr",
    "accuracy",
    "citation_precision",
    "abstain_unanswerable",
    "abstain_answerable",
    "p50_ms",
    "p95_ms",
    "count",
}


def gold(
    expected: tuple[str, ...] = ("Ouchakov",), tags: tuple[str, ...] = ("who",)
) -> GoldQuestion:
    sources = ("000.txt",) if expected else ()
    return GoldQuestion("Qui ?", expected, sources, tags, line=1)


def result(
    q: GoldQuestion,
    *,
    answer: str = "",
    abstained: bool = False,
    rank: int | None = None,
    citations: int = 0,
    good: int = 0,
    ms: float = 10.0,
    conf: float | None = None,
) -> QuestionResult:
    return QuestionResult(q, answer, abstained, conf, rank, citations, good, ms)


# --- matching ---


def test_holds_fact_ignores_case_and_accents() -> None:
    assert holds_fact("Les ETATS-UNIS ont réagi", ["États-Unis"])
    assert holds_fact("à Séoul", ["seoul"])
    assert not holds_fact("à Séoul", ["Tokyo"])


def _article(aid: str, origin: str, text: str) -> Article:
    return Article(aid, "t", text, origin, origin)


def _hit(rank: int, article: Article, duplicates: tuple[Chunk, ...] = ()) -> Hit:
    chunk = Chunk(rank, article.id, 0, len(article.text), article.text)
    return Hit(chunk, article, rank, 1.0 / rank, None, None, None, None, duplicates)


def test_first_hit_rank_counts_duplicates_and_only_listed_sources() -> None:
    q = GoldQuestion("Où ?", ("Séoul",), ("000.txt",), (), 1)
    other = _article("b", "001.txt", "Une délégation est à Seoul.")  # right words, wrong source
    plain = _article("c", "000.txt", "Rien ici.")
    dup = Chunk(9, "a", 0, 20, "Le sommet de SÉOUL.")
    hits = [_hit(1, other), _hit(2, plain), _hit(3, plain, (dup,))]
    assert first_hit_rank(hits, q, {"a": "000.txt", "b": "001.txt", "c": "000.txt"}) == 3
    assert first_hit_rank(hits[:2], q, {"a": "000.txt"}) is None


def test_good_citations_uses_snippet_or_its_passage() -> None:
    q = GoldQuestion("Qui ?", ("Ouchakov",), ("000.txt",), (), 1)
    cites = tuple(
        Citation(n, "a", "s", "t", snippet, 0, len(snippet))
        for n, snippet in ((1, "Iouri Ouchakov a dit."), (2, "Il a dit."), (3, "Rien."))
    )
    passages = (
        Passage(1, "a", "t", "s", "x"),
        Passage(2, "a", "t", "s", "Le conseiller Ouchakov. Il a dit."),
        Passage(3, "a", "t", "s", "Rien."),
    )
    answer = Answer("Qui ?", "...", False, "extractive", "fr", cites, passages)
    assert good_citations(answer, q, {"a": "000.txt"}) == 2
    assert good_citations(answer, q, {"a": "004.txt"}) == 0


# --- metric maths ---


def test_metrics_on_a_tiny_set() -> None:
    ans = gold()
    unk = gold(expected=(), tags=("near-topic",))
    results = [
        result(ans, answer="« Ouchakov » [1]", rank=1, citations=2, good=1, ms=10),
        result(ans, answer="« Lavrov » [1]", rank=3, citations=1, good=0, ms=20),
        result(ans, answer="je ne sais pas", abstained=True, rank=None, ms=30),
        result(ans, answer="« OUCHAKOV »", rank=5, citations=1, good=1, ms=40),
        result(unk, answer="je ne sais pas", abstained=True, ms=50),
        result(unk, answer="« Kim »", ms=1000),
    ]
    report = build_report(results)
    m = report.overall
    assert m.count == 6
    assert m.hit_at == {1: 0.25, 3: 0.5, 5: 0.75}
    assert m.mrr == pytest.approx((1 + 1 / 3 + 0 + 1 / 5) / 4)
    assert m.accuracy == 0.5
    assert m.citation_precision == pytest.approx(2 / 4)  # pooled over answered questions
    assert m.abstain_unanswerable == 0.5
    assert m.abstain_answerable == 0.25
    assert m.p50_ms == 30
    assert m.p95_ms == 1000
    assert set(report.by_tag) == {"answerable", "near-topic", "unanswerable", "who"}
    assert report.by_tag["unanswerable"].hit_at[5] is None
    assert report.by_tag["who"].count == 4
    assert [f.reason for f in report.failures] == [
        "wrong answer",
        "wrongly abstained",
        "not abstained",
    ]


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]
    assert percentile(values, 50) == 10
    assert percentile(values, 95) == 19
    assert percentile([], 50) is None


def test_json_and_table_have_every_column() -> None:
    report = build_report([result(gold(), answer="Ouchakov", rank=2, citations=1, good=1)])
    data = report.to_json()
    assert set(data) >= JSON_KEYS
    assert set(data["by_tag"]) == {"answerable", "who"}
    assert set(data["by_tag"]["who"]) >= JSON_KEYS
    assert data["mrr"] == 0.5
    assert data["abstain_unanswerable"] is None
    json.dumps(data)
    lines = render_table(report).splitlines()
    assert len(lines) == 4  # header, overall, two tags
    assert lines[1].startswith("overall")
    assert len({len(line) for line in lines[1:]}) == 1  # aligned


def test_calibrate_suggests_a_threshold_from_an_open_run(
    seed_index_dir: Path, embedder: VectorEmbeddings
) -> None:
    engine = Engine(Settings(index_dir=seed_index_dir), embedder)
    questions = [
        GoldQuestion("Qui accompagne Poutine ?", ("Lavrov",), ("002.txt",), ("who",), 1),
        GoldQuestion("Quelle est la recette de la blanquette de veau ?", (), (), (), 2),
        GoldQuestion("Qui a gagné le Tour de France 2023 ?", (), (), (), 3),
    ]
    cut = calibrate(engine, questions)
    report = run_evaluation(engine, questions)
    confidence = {r.question.line: r.confidence or 0.0 for r in report.results}
    # The cut lets the right answer through and stops both off-topic questions.
    assert max(confidence[2], confidence[3]) < cut <= confidence[1]


# --- floors ---


def _report(hit5: float, accuracy: float) -> EvalReport:
    n = 4
    results = [
        result(
            gold(),
            answer="Ouchakov" if i < accuracy * n else "non",
            rank=1 if i < hit5 * n else None,
        )
        for i in range(n)
    ]
    return build_report(results)


def test_check_floors() -> None:
    report = _report(hit5=0.75, accuracy=0.5)
    assert check_floors(report, None, None) == []
    assert check_floors(report, 0.75, 0.5) == []
    failed = check_floors(report, 0.8, 0.6)
    assert len(failed) == 2
    assert "hit@5 0.750" in failed[0] and "0.800" in failed[0]
    assert "accuracy" in failed[1]
    unanswerable_only = build_report([result(gold(expected=()), abstained=True)])
    assert check_floors(unanswerable_only, 0.5, None) == [
        "hit@5 cannot be checked: no answerable question"
    ]
    assert check_floors(unanswerable_only, None, None, 1.0) == []
    both = build_report(
        [result(gold(expected=()), abstained=True), result(gold(expected=()), abstained=False)]
    )
    assert check_floors(both, None, None, 0.9) == [
        "unanswerable refused 0.500 is below the floor 0.900"
    ]
    assert check_floors(report, None, None, 0.9) == [
        "unanswerable refused cannot be checked: no unanswerable question"
    ]


# --- the gold-file loader ---


def test_load_questions_reads_the_gold_set() -> None:
    questions = load_questions(GOLD)
    assert len(questions) > 50
    assert any(not q.answerable for q in questions)
    assert all(q.question and isinstance(q.expected, tuple) for q in questions)
    assert "unanswerable" in next(q for q in questions if not q.answerable).all_tags
    assert "answerable" in questions[0].all_tags


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"expected": []}', "'question' must be a non-empty string"),
        ('{"question": "  ", "expected": []}', "'question' must be a non-empty string"),
        ('{"question": "Qui ?"}', "'expected' must be a list of strings"),
        ('{"question": "Qui ?", "expected": "Kim"}', "'expected' must be a list of strings"),
        ('{"question": "Qui ?", "expected": [""]}', "'expected' holds an empty string"),
        ('{"question": "Qui ?", "expected": [], "tags": [1]}', "'tags' must be a list"),
    ],
)
def test_load_questions_names_the_bad_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "qa.jsonl"
    good = '{"question": "Qui ?", "expected": ["Kim"], "tags": ["who"]}'
    path.write_text(f"{good}\n\n{line}\n", encoding="utf-8")
    with pytest.raises(QAFileError) as caught:
        load_questions(path)
    text = str(caught.value)
    assert f"{path}:3:" in text and message in text
    assert "\n" not in text


def test_load_questions_missing_or_empty(tmp_path: Path) -> None:
    with pytest.raises(QAFileError, match="no question file"):
        load_questions(tmp_path / "absent.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n \n", encoding="utf-8")
    with pytest.raises(QAFileError, match="no questions"):
        load_questions(tmp_path / "empty.jsonl")


# --- feedback replay ---


def _feedback_line(kind: str, answer_id: str, question: str = "Qui ?") -> str:
    return json.dumps(
        {
            "time": "2024-06-19T10:00:00+00:00",
            "kind": kind,
            "user": "u",
            "answer_id": answer_id,
            "question": question,
            "answer": f"old answer {answer_id}",
            "abstained": False,
            "mode": "extractive",
            "language": "fr",
            "citations": [],
        },
        ensure_ascii=False,
    )


class _FakeEngine:
    def answer(self, question: str) -> Answer:
        return Answer(question, f"new answer to {question}", False, "extractive", "fr")


def test_replay_keeps_negative_entries_and_skips_broken_lines(tmp_path: Path) -> None:
    log = tmp_path / "feedback.jsonl"
    lines = [
        _feedback_line("up", "a1"),
        _feedback_line("down", "a2", "Quand ?"),
        _feedback_line("bad_source", "a2", "Quand ?"),  # same answer: one replay
        '{"kind": "down", "question": "torn',
        '{"kind": "down"}',
        _feedback_line("bad_source", "a3", "Où ?"),
    ]
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert read_negative_feedback(log).skipped == 2
    replays = replay_feedback(_FakeEngine(), log)  # type: ignore[arg-type]
    assert [(r.question, r.kinds) for r in replays] == [
        ("Quand ?", ("down", "bad_source")),
        ("Où ?", ("bad_source",)),
    ]
    assert replays[0].old_answer == "old answer a2"
    assert replays[0].new_answer == "new answer to Quand ?"
    text = render_replay(replays, skipped=2)
    assert "before: old answer a2" in text and "now:    new answer to Quand ?" in text
    assert "2 broken line(s) skipped" in text


# --- integration: a real engine over the real seed index ---


@pytest.mark.slow
def test_run_evaluation_on_a_real_index(seed_index_dir: Path, embedder: VectorEmbeddings) -> None:
    engine = Engine(Settings(index_dir=seed_index_dir), embedder)
    questions = load_questions(GOLD)
    subset = [q for q in questions if q.answerable][:4] + [
        q for q in questions if not q.answerable
    ][:2]

    report = run_evaluation(engine, subset, k=5)

    m = report.overall
    assert m.count == 6
    assert m.hit_at[1] is not None and m.hit_at[5] is not None
    assert 0 <= m.hit_at[1] <= m.hit_at[3] <= m.hit_at[5] <= 1  # type: ignore[operator]
    assert m.hit_at[5] >= 0.5  # the first gold questions are plain factoids
    assert m.mrr is not None and 0 < m.mrr <= 1
    for share in (m.accuracy, m.abstain_unanswerable, m.abstain_answerable):
        assert share is not None and 0 <= share <= 1
    assert m.citation_precision is None or 0 <= m.citation_precision <= 1
    assert m.p50_ms is not None and m.p95_ms is not None and 0 < m.p50_ms <= m.p95_ms
    assert report.by_tag["answerable"].count == 4
    assert report.by_tag["unanswerable"].count == 2
    assert all(r.confidence is not None for r in report.results)
    data = report.to_json()
    assert set(data) >= JSON_KEYS
    assert all(set(v) >= JSON_KEYS for v in data["by_tag"].values())
    json.dumps(data)
    assert render_table(report).splitlines()[1].startswith("overall")


@pytest.mark.parametrize(
    "path",
    # conversations-ideal.jsonl holds rewrites of questions, no facts to check.
    sorted(
        p
        for p in (ROOT / "tests" / "data").glob("*.jsonl")
        if p.name != "conversations-ideal.jsonl"
    ),
    ids=lambda p: p.name,
)
def test_every_question_file_states_its_facts_in_its_sources(path: Path) -> None:
    """Each expected string occurs in every listed seed article, so a file's accuracy
    measures the bot, not the file (tests/data/README.md, matching rule)."""
    if path.name.startswith("conversations"):  # one conversation a line, turns in this format
        from bot.evaluate_conversations import load_conversations

        turns = [t for _, ts in load_conversations(path) for t in ts]
        questions = [
            GoldQuestion(t.question, t.expected, t.sources, t.tags, n) for n, t in enumerate(turns)
        ]
    else:
        questions = load_questions(path)
    assert questions
    for q in questions:
        if not q.expected:
            assert not q.sources, q.question
            continue
        assert q.sources, q.question
        for source in q.sources:
            text = (ROOT / "seeds" / source).read_text(encoding="utf-8")
            assert holds_fact(text, q.expected), f"{q.question}: nothing expected in {source}"
