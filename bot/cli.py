"""`newsbot`: build the index, search it, answer questions, run the Discord bot, evaluate."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.models import Answer
from bot.settings import Settings, SettingsError
from index.errors import NewsbotError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("newsbot")


def _settings(index_dir: Path | None, **overrides: Any) -> Settings:
    return Settings.from_env().with_overrides(index_dir=index_dir, **overrides)


def index_dir_option(func: F) -> F:
    """`--index-dir` on every subcommand; it overrides NEWSBOT_INDEX_DIR."""
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index folder (default: $NEWSBOT_INDEX_DIR, else data/index).",
    )(func)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress and decisions.")
def cli(verbose: bool) -> None:
    """Answer questions over news articles, every claim cited."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@cli.command("index")
@index_dir_option
@click.option(
    "--source",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of .txt/.md/.html/.jsonl articles (default: seeds/).",
)
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only changes.")
def index_command(index_dir: Path | None, source: Path | None, rebuild: bool) -> None:
    """Build or update the index from a folder of articles."""
    from index.build import build_index
    from index.chunk import ChunkSettings
    from index.embed import load_embedder
    from index.source_files import SourceLimits

    settings = _settings(index_dir, source_dir=source)
    # Builds report what they skip and how far they are, verbose or not.
    logging.getLogger("newsbot").setLevel(min(logging.INFO, logging.getLogger().level))
    embedder = load_embedder(
        settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )
    with _progress() as progress:
        report = build_index(
            settings.source_dir,
            settings.index_dir,
            embedder,
            ChunkSettings(settings.chunk_size, settings.chunk_overlap),
            rebuild=rebuild,
            progress=progress,
            limits=SourceLimits(
                settings.max_file_bytes, settings.max_line_chars, settings.max_word_chars
            ),
        )
    # Every skipped file was logged by the build, up to date or not (index/build.py).
    state = "up to date" if report.up_to_date else "built"
    click.echo(
        f"index {state} at {settings.index_dir}: {report.added} added, {report.changed} changed, "
        f"{report.removed} removed, {len(report.skipped)} skipped; {report.articles} articles, "
        f"{report.chunks} chunks ({report.embedded} embedded"
        + (f", {report.words_embedded} new words" if report.words_embedded else "")
        + f") in {report.seconds:.1f} s"
    )


class _progress:
    """A progress bar on a terminal; a log line every tenth of the way otherwise."""

    def __enter__(self) -> Callable[[int, int], None]:
        self._bar: Any = None
        self._logged = -1
        return self.update

    def update(self, done: int, total: int) -> None:
        if sys.stderr.isatty():
            if self._bar is None:
                from tqdm import tqdm

                self._bar = tqdm(total=total, unit="text", desc="embedding", leave=False)
            self._bar.n = done
            self._bar.refresh()
            return
        tenth = done * 10 // max(total, 1)
        if tenth > self._logged:
            self._logged = tenth
            log.info("embedded %d/%d texts", done, total)

    def __exit__(self, *_: object) -> None:
        if self._bar is not None:
            self._bar.close()


@cli.command("search")
@index_dir_option
@click.argument("query")
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help="Number of hits.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
def search_command(index_dir: Path | None, query: str, k: int | None, as_json: bool) -> None:
    """Show the passages the index returns for QUERY, with both retrievers' scores."""
    from bot.engine import Engine
    from bot.question import clean_question

    engine = Engine.load(_settings(index_dir))
    for hit in engine.search(clean_question(query), k):
        row = {
            "rank": hit.rank,
            "score": round(hit.score, 5),
            "dense_score": hit.dense_score,
            "dense_rank": hit.dense_rank,
            "lexical_score": hit.lexical_score,
            "lexical_rank": hit.lexical_rank,
            "article_id": hit.article.id,
            "title": hit.article.title,
            "source": hit.article.source,
            "start": hit.chunk.start,
            "end": hit.chunk.end,
            "text": hit.chunk.text,
            "also_in": sorted({d.article_id for d in hit.duplicates}),
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        dense = "-" if hit.dense_score is None else f"{hit.dense_score:.3f} (#{hit.dense_rank})"
        lexical = (
            "-" if hit.lexical_score is None else f"{hit.lexical_score:.2f} (#{hit.lexical_rank})"
        )
        click.secho(f"[{hit.rank}] {hit.article.title}", bold=True)
        click.echo(f"    source: {hit.article.source}   dense: {dense}   bm25: {lexical}")
        click.echo("    " + hit.chunk.text.replace("\n", " ") + "\n")


def answer_json(answer: Answer) -> dict[str, Any]:
    """The stable `--json` shape (fields may be added, never renamed)."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "language": answer.language,
        "note": answer.note,
        "citations": [
            {
                "n": c.n,
                "article_id": c.article_id,
                "source": c.source,
                "title": c.title,
                "snippet": c.snippet,
                "start": c.start,
                "end": c.end,
                "url": c.url,
            }
            for c in answer.citations
        ],
        "related": [asdict(c) for c in answer.related],
        "confidence": answer.confidence,
    }


def render_answer_text(answer: Answer, color: bool) -> str:
    """Plain-text rendering for the terminal: the answer, then numbered sources."""
    from bot.literal_markers import answer_display_text
    from bot.literal_markers import escape_literal_markers as shown
    from bot.prompts import message

    lines = [answer_display_text(answer)]
    if answer.note:
        lines.append(click.style(answer.note, fg="yellow") if color else answer.note)
    for c in answer.citations:
        head = f"[{c.n}] {c.title} — {c.source}"
        lines.append(click.style(head, bold=True) if color else head)
        lines.append(f"    « {shown(c.snippet)} »")
    if answer.related:
        lines.append(message("answer", "related_intro", answer.language))
        lines.extend(f"  - {c.title} — {c.source}: « {shown(c.snippet)} »" for c in answer.related)
    return "\n".join(lines)


def _questions(question: str | None) -> Iterator[tuple[str, bool]]:
    """(question, whether it held undecodable bytes): argv, or each line of stdin."""
    from bot.question import decode_input_line, has_undecodable

    if question is not None:
        yield question, has_undecodable(question)
        return
    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line, replaced = decode_input_line(raw)
        if replaced:
            click.echo(f"warning: line {number}: bytes that are not UTF-8 replaced by �", err=True)
        if line.strip():
            yield line, replaced


@cli.command("ask")
@index_dir_option
@click.argument("question", required=False)
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Passages to read.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer, per line.")
def ask_command(index_dir: Path | None, question: str | None, k: int | None, as_json: bool) -> None:
    """Answer QUESTION, or one question per line of standard input."""
    from bot.engine import Engine

    engine = Engine.load(_settings(index_dir))
    color = sys.stdout.isatty()
    failed = False
    for q, undecodable in _questions(question):
        failed = failed or undecodable
        try:
            answer = engine.answer(q, k)
        except NewsbotError as exc:
            if not _is_per_question(exc):
                raise
            failed = True
            if as_json:
                click.echo(json.dumps({"question": q, "error": str(exc)}, ensure_ascii=False))
            else:
                click.echo(f"error: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            click.echo(render_answer_text(answer, color) + "\n")
    if failed:
        sys.exit(1)


def _is_per_question(exc: NewsbotError) -> bool:
    from index.errors import InvalidQuestionError

    return isinstance(exc, InvalidQuestionError)


@cli.command("repl")
@index_dir_option
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Passages to read.")
def repl_command(index_dir: Path | None, k: int | None) -> None:
    """Ask questions interactively (:help for commands)."""
    from bot.engine import Engine
    from bot.repl import run_repl

    settings = _settings(index_dir)
    run_repl(Engine.load(settings), k=k, history_file=settings.index_dir.parent / ".repl_history")


@cli.command("discord")
@index_dir_option
def discord_command(index_dir: Path | None) -> None:
    """Run the Discord bot (DISCORD_TOKEN from the environment or .env)."""
    from bot.discord_bot import run_discord_bot
    from bot.engine import Engine

    settings = _settings(index_dir)
    engine = Engine.load(settings)
    try:
        engine.searcher()
    except NewsbotError as exc:
        # Start anyway: users get a clear message and `newsbot index` fixes it live.
        log.error("%s", exc)
    sys.exit(run_discord_bot(settings, engine.answer))


@cli.command("eval")
@index_dir_option
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Score against this folder of articles: its index is built once, then reused.",
)
@click.option(
    "--qa",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="QA file (JSONL); default: the gold set.",
)
@click.option("-k", "k", type=click.IntRange(1, 50), default=5, help="Hits scored for hit@k.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "lexical"]),
    default="hybrid",
    help="Retriever scored by hit@k and MRR (answers always use hybrid).",
)
@click.option("--min-hit5", type=float, default=None, help="Fail below this hit@5.")
@click.option("--min-accuracy", type=float, default=None, help="Fail below this accuracy.")
@click.option(
    "--min-refused",
    type=float,
    default=None,
    help="Fail below this share of unanswerable questions refused.",
)
@click.option(
    "--feedback",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Replay a Discord feedback log instead.",
)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Print the abstention thresholds that suit this QA file (docs/calibration.md).",
)
def eval_command(
    index_dir: Path | None,
    source: Path | None,
    qa: Path | None,
    k: int,
    as_json: bool,
    mode: str,
    min_hit5: float | None,
    min_accuracy: float | None,
    min_refused: float | None,
    feedback: Path | None,
    calibrate: bool,
) -> None:
    """Measure retrieval, answers, abstention and latency on a QA file."""
    from bot import evaluate
    from bot.engine import Engine
    from bot.settings import PROJECT_ROOT

    settings = _settings(index_dir)
    if source is not None:
        settings = settings.with_overrides(index_dir=_corpus_index(settings, source))
    engine = Engine.load(settings)
    if feedback is not None:
        click.echo(evaluate.render_replay(evaluate.replay_feedback(engine, feedback)))
        return
    questions = evaluate.load_questions(qa or PROJECT_ROOT / "tests" / "data" / "gold.jsonl")
    if calibrate:
        cut = evaluate.calibrate(engine, questions, k=k)
        click.echo(f"threshold = {cut:.4f}  (now {engine.model.abstainer.threshold:.4f})")
        return
    report = evaluate.run_evaluation(engine, questions, k=k, mode=mode)
    if as_json:
        click.echo(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        click.echo(evaluate.render_table(report))
    failed = evaluate.check_floors(report, min_hit5, min_accuracy, min_refused)
    for line in failed:
        click.echo(f"floor missed: {line}", err=True)
    if failed:
        sys.exit(1)


def _corpus_index(settings: Settings, source: Path) -> Path:
    """The index of `source` beside the main one, built or brought up to date."""
    from index.chunk import ChunkSettings
    from index.corpora import ensure_corpus_index
    from index.embed import load_embedder

    embedder = load_embedder(
        settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    with _progress() as progress:
        folder, report = ensure_corpus_index(
            source, settings.index_dir.parent, embedder, chunking, progress
        )
    state = "reused" if report.up_to_date else "built"
    click.echo(f"index of {source} {state} at {folder} ({report.articles} articles)", err=True)
    return folder


@cli.command("train")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for the model (default: the package's bot/data, where newsbot loads it).",
)
@click.option("--seed", type=int, default=None, help="Random seed (default: the documented one).")
def train_command(out: Path | None, seed: int | None) -> None:
    """Fit the answer ranker and abstainer on the shipped question files (docs/calibration.md)."""
    from bot.answer.train import SEED, run_training
    from bot.settings import PROJECT_ROOT

    settings = _settings(None)
    logging.getLogger("newsbot").setLevel(min(logging.INFO, logging.getLogger().level))
    summary = run_training(
        PROJECT_ROOT,
        out,
        seed=SEED if seed is None else seed,
        index_for=lambda source: _corpus_index(settings, source),
        embedder_settings=settings,
    )
    click.echo(summary)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: reads .env, runs the command, turns known errors into one line."""
    from dotenv import load_dotenv

    load_dotenv()
    try:
        cli.main(args=argv, prog_name="newsbot", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (NewsbotError, SettingsError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
