"""`newsbot`: build the index, search it, answer questions, run the Discord bot, evaluate.

Every check that needs no model (the question, the index folder, the token) runs before
any model or index is loaded, so that these mistakes answer at once.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

import click

from bot.console import print_error, print_warning, setup_logging, show_info_from
from bot.models import Answer
from bot.preflight import join_words, require_database, require_index, require_source
from bot.settings import PROJECT_ROOT, Settings, SettingsError
from index.errors import InvalidQuestionError, NewsbotError

F = TypeVar("F", bound=Callable[..., Any])
TOP_K_HELP = "(default: $NEWSBOT_TOP_K, else 5)"
DATABASE_URL_KEY = "newsbot.database_url"  # where --database-url waits for _settings


def _settings(index_dir: Path | None, **overrides: Any) -> Settings:
    context = click.get_current_context(silent=True)
    database_url = context.meta.get(DATABASE_URL_KEY) if context is not None else None
    return Settings.from_env().with_overrides(
        index_dir=index_dir, database_url=database_url, **overrides
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def date_range_options(func: F) -> F:
    """`--since DATE` and `--until DATE`: only articles published in that range."""
    func = click.option(
        "--until",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Only articles published on or before this date (YYYY-MM-DD) (default: no limit).",
    )(func)
    return click.option(
        "--since",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Only articles published on or after this date (YYYY-MM-DD); undated ones "
        "are then left out (default: no limit).",
    )(func)


def _date_range(since: Any, until: Any) -> Any:
    if since is None and until is None:
        return None
    from bot.dates import DateRange

    return DateRange(
        since.date() if since is not None else None, until.date() if until is not None else None
    )


def _remember_database_url(context: click.Context, _: Any, value: str | None) -> None:
    if value is not None:
        context.meta[DATABASE_URL_KEY] = value


def index_dir_option(func: F) -> F:
    """`--index-dir` and `--database-url` on every subcommand; they override
    NEWSBOT_INDEX_DIR and NEWSBOT_DATABASE_URL."""
    func = click.option(
        "--database-url",
        default=None,
        metavar="URL",
        expose_value=False,
        callback=_remember_database_url,
        help="Use the PostgreSQL store at postgresql://USER:PASSWORD@HOST:PORT/DB instead "
        "of the index folder (default: $NEWSBOT_DATABASE_URL, else the folder).",
    )(func)
    return click.option(
        "--index-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Index folder (default: $NEWSBOT_INDEX_DIR, else data/index).",
    )(func)


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log progress and decisions (to stderr).")
def cli(verbose: bool) -> None:
    """Answer questions over news articles, every claim cited.

    Settings come from NEWSBOT_* variables, or from the first .env file found in the
    current folder or above it (see .env.example).
    """
    setup_logging(verbose)


@cli.command("index")
@index_dir_option
@click.option(
    "--source",
    "sources",
    multiple=True,
    metavar="FOLDER|FILE|URL",
    help="Repeatable: a folder or file of .txt/.md/.html/.jsonl/.pdf articles, the URL of "
    "an RSS/Atom feed or a web page, or a .feeds/OPML list of feeds "
    "(default: $NEWSBOT_SOURCE_DIR, else seeds/).",
)
@click.option("--rebuild", is_flag=True, help="Re-embed everything instead of only changes.")
@click.option("--watch", is_flag=True, help="Keep re-indexing; Ctrl-C or SIGTERM stops it.")
@click.option(
    "--every",
    default="15m",
    show_default=True,
    metavar="DURATION",
    help="With --watch: the wait between runs (90, 30s, 15m, 2h).",
)
def index_command(
    index_dir: Path | None, sources: tuple[str, ...], rebuild: bool, watch: bool, every: str
) -> None:
    """Build or update the index from its sources.

    Sources are folders, files, feed or page URLs, and .feeds or OPML lists of feeds.
    """
    started = time.perf_counter()
    settings = _settings(index_dir)
    interval = _duration(every)
    require_database(settings.database_url, settings.database_schema)
    from index.sources.remote import plan_sources

    if not sources:
        require_source(settings.source_dir, given=False)
    local, remote = plan_sources(sources or (str(settings.source_dir),))
    from bot.progress import build_progress
    from index.embed import load_embedder

    show_info_from("newsbot")  # builds report their stages, verbose or not
    with build_progress() as progress:
        progress("loading the embedding model", 0, 1)
        embedder = load_embedder(
            settings.embedding_model,
            query_prefix=settings.query_prefix,
            passage_prefix=settings.passage_prefix,
        )
    if not watch:
        _index_once(settings, local, remote, embedder, rebuild=rebuild, started=started)
        return
    from bot.watch import StopSignals

    with StopSignals() as stop:
        while True:
            try:
                _index_once(settings, local, remote, embedder, rebuild=rebuild, started=started)
            except NewsbotError as exc:  # a bad run is reported; the next one may do better
                print_error(str(exc))
            rebuild = False
            if stop.wait(interval):
                break
            started = time.perf_counter()
    click.echo("newsbot index --watch stopped", err=True)


def _duration(text: str) -> float:
    """Seconds of "90", "30s", "15m" or "2h"."""
    units = {"s": 1, "m": 60, "h": 3600}
    raw = text.strip().lower()
    scale = units.get(raw[-1:], 1)
    number = raw[:-1] if raw[-1:] in units else raw
    try:
        seconds = float(number) * scale
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration (90, 30s, 15m, 2h)") from None
    if seconds <= 0:
        raise click.BadParameter(f"{text!r} must be positive")
    return seconds


def _index_once(
    settings: Settings,
    local: list[Path],
    remote: list[Any],
    embedder: Any,
    *,
    rebuild: bool,
    started: float,
) -> None:
    """One incremental run: fetch what is remote, build, name every skip, sum up."""
    from bot.progress import build_progress
    from index.build import build_index
    from index.chunk import ChunkSettings
    from index.models import RemoteRead
    from index.source_files import SourceLimits

    fetched = RemoteRead()
    if remote:
        from index.sources.remote import read_remote
        from index.sources.web import Fetcher, FetchPolicy, PageCache

        policy = FetchPolicy(
            timeout=settings.fetch_timeout,
            retries=settings.fetch_retries,
            backoff=settings.fetch_backoff,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=settings.fetch_max_redirects,
            per_host=settings.fetch_per_host,
        )
        cache = PageCache(settings.index_dir.parent / f"{settings.index_dir.name}-http-cache")
        with Fetcher(policy, cache) as fetcher:
            fetched = read_remote(remote, fetcher)
    from index.store import open_store

    store = open_store(settings.index_dir, settings.database_url, settings.database_schema)
    with build_progress() as progress:
        report = build_index(
            local,
            store,
            embedder,
            ChunkSettings(settings.chunk_size, settings.chunk_overlap),
            rebuild=rebuild,
            progress=progress,
            limits=SourceLimits(
                settings.max_file_bytes, settings.max_line_chars, settings.max_word_chars
            ),
            remote=fetched,
        )
    for skipped in report.skipped:  # every run names them, not only the first
        print_warning(f"skipped {skipped.origin}: {skipped.reason}")
    state = "up to date" if report.up_to_date else "built"
    click.echo(
        f"index {state} at {store.location}: {report.added} added, {report.changed} changed, "
        f"{report.removed} removed, {len(report.skipped)} skipped; "
        f"{_plural(report.articles, 'article')}, {_plural(report.chunks, 'chunk')} "
        f"({report.embedded} embedded"
        + (f", {_plural(report.words_embedded, 'new word')}" if report.words_embedded else "")
        # The whole command, model load included: what the user waited.
        + f") in {time.perf_counter() - started:.1f} s"
    )


def _checked_question(words: tuple[str, ...]) -> str | None:
    """The question typed on the command line, refused now if it is empty or too long."""
    from bot.question import clean_question

    question = join_words(words)
    if question is not None:
        clean_question(question)
    return question


@cli.command("search")
@index_dir_option
@click.argument("query", nargs=-1, required=True)
@click.option("-k", "k", type=click.IntRange(1, 100), default=None, help=f"Hits {TOP_K_HELP}.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit, per line.")
@date_range_options
def search_command(
    index_dir: Path | None,
    query: tuple[str, ...],
    k: int | None,
    as_json: bool,
    since: Any,
    until: Any,
) -> None:
    """Show the passages found for QUERY, with each retriever's score."""
    text = _checked_question(query) or ""
    settings = _settings(index_dir)
    require_index(
        settings.index_dir,
        given=index_dir is not None,
        database_url=settings.database_url,
        schema=settings.database_schema,
    )
    from bot.engine import Engine
    from bot.question import clean_question

    engine = Engine.load(settings)
    for hit in engine.search(clean_question(text), k, dates=_date_range(since, until)):
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
            "url": hit.article.url,
            "date": hit.article.date,
            "outlet": hit.article.publisher,
            "start": hit.chunk.start,
            "end": hit.chunk.end,
            "text": hit.chunk.text,
            "also_in": sorted({d.article_id for d in hit.duplicates}),
        }
        if as_json:
            click.echo(json.dumps(row, ensure_ascii=False))
            continue
        click.echo(_render_hit(hit, row))


def _render_hit(hit: Any, row: dict[str, Any]) -> str:
    from bot.terminal import use_color

    dense = "-" if hit.dense_score is None else f"{hit.dense_score:.3f} (#{hit.dense_rank})"
    lexical = "-" if hit.lexical_score is None else f"{hit.lexical_score:.2f} (#{hit.lexical_rank})"
    head = f"[{row['rank']}] {row['title']}"
    return "\n".join(
        [
            click.style(head, bold=True) if use_color(sys.stdout) else head,
            f"    source: {row['source']}   dense: {dense}   bm25: {lexical}",
            "    " + str(row["text"]).replace("\n", " ") + "\n",
        ]
    )


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
                "date": c.date,
                "outlet": c.outlet,
            }
            for c in answer.citations
        ],
        "related": [asdict(c) for c in answer.related],
        "confidence": answer.confidence,
        "understood": answer.understood or answer.question,
    }


def _stdin_questions(keep_empty: bool = False) -> Iterator[tuple[str, bool]]:
    """Each line of standard input, undecodable bytes replaced (and whether they were);
    empty lines too when `keep_empty` (they end a conversation)."""
    from bot.question import decode_input_line

    for number, raw in enumerate(sys.stdin.buffer, start=1):
        line, replaced = decode_input_line(raw)
        if replaced:
            print_warning(f"line {number}: bytes that are not UTF-8 replaced by �")
        if line.strip() or keep_empty:
            yield line, replaced


@cli.command("ask")
@index_dir_option
@click.argument("question", nargs=-1)
@click.option(
    "-k", "k", type=click.IntRange(1, 50), default=None, help=f"Passages to read {TOP_K_HELP}."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per answer, per line.")
@date_range_options
@click.option(
    "--conversation",
    is_flag=True,
    help="Read standard input as one conversation: follow-ups lean on earlier lines; "
    "an empty line starts a new conversation (default: every line alone).",
)
def ask_command(
    index_dir: Path | None,
    question: tuple[str, ...],
    k: int | None,
    as_json: bool,
    since: Any,
    until: Any,
    conversation: bool,
) -> None:
    """Answer QUESTION, or each line of standard input.

    The words of an unquoted question are joined into one; a question that starts
    with '-' goes after `--`: newsbot ask -- "-5 % ?". Exits 1 when any question
    failed (an error, not a refusal).
    """
    text = _checked_question(question)
    settings = _settings(index_dir)
    require_index(
        settings.index_dir,
        given=index_dir is not None,
        database_url=settings.database_url,
        schema=settings.database_schema,
    )
    from bot.engine import Engine
    from bot.prompts import message
    from bot.terminal import render_answer_text, terminal_width, use_color

    if text is None and sys.stdin.isatty():
        click.echo(message("repl", "stdin_hint", settings.language), err=True)
    engine = Engine.load(settings)
    color, width = use_color(sys.stdout), terminal_width(sys.stdout)
    failed = False
    dates = _date_range(since, until)
    from bot.question import has_undecodable
    from bot.repl import render_understood

    asked = [(text, has_undecodable(text))] if text is not None else _stdin_questions(conversation)
    store = engine.conversations()
    turns = store.get(0) if conversation else None
    started = 0
    for q, undecodable in asked:
        failed = failed or undecodable
        if not q.strip():  # only with --conversation: an empty line starts afresh
            store.forget(started)
            started += 1
            turns = store.get(started)
            continue
        try:
            answer = engine.answer(q, k, conversation=turns, dates=dates)
        except InvalidQuestionError as exc:
            failed = True
            if as_json:
                click.echo(json.dumps({"question": q, "error": str(exc)}, ensure_ascii=False))
            else:
                print_error(str(exc))
            continue
        if as_json:
            click.echo(json.dumps(answer_json(answer), ensure_ascii=False))
        else:
            shown = render_understood(answer, color=color)
            if shown:
                click.echo(shown)
            click.echo(render_answer_text(answer, color=color, width=width) + "\n")
    if failed:
        sys.exit(1)


@cli.command("repl")
@index_dir_option
@click.option(
    "-k", "k", type=click.IntRange(1, 50), default=None, help=f"Passages to read {TOP_K_HELP}."
)
def repl_command(index_dir: Path | None, k: int | None) -> None:
    """Ask questions interactively (:sources, :help, :quit).

    Messages follow $NEWSBOT_LANGUAGE (fr or en, default fr); history is kept in
    $NEWSBOT_REPL_HISTORY, else the user data folder. Exits 1 when a question failed.
    """
    settings = _settings(index_dir)
    require_index(
        settings.index_dir,
        given=index_dir is not None,
        database_url=settings.database_url,
        schema=settings.database_schema,
    )
    from bot.engine import Engine
    from bot.repl import run_repl

    failed = run_repl(
        Engine.load(settings),
        k=k,
        history_file=settings.history_file(),
        language=settings.language,
    )
    if failed:
        sys.exit(1)


@cli.command("discord")
@index_dir_option
def discord_command(index_dir: Path | None) -> None:
    """Run the Discord bot (DISCORD_TOKEN from the environment or .env)."""
    settings = _settings(index_dir)
    if not settings.discord_token.strip():  # before loading anything
        print_error("DISCORD_TOKEN is not set (environment or .env); see the README.")
        sys.exit(2)
    from bot.discord.bot import run_discord_bot
    from bot.engine import Engine

    show_info_from("newsbot")
    show_info_from("bot.discord")
    engine = Engine.load(settings)
    try:
        engine.searcher()
    except NewsbotError as exc:
        # Start anyway: users get a clear message and `newsbot index` fixes it live.
        print_warning(f"{exc}; the bot answers with this message until then")
    from bot.conversation import Conversations

    conversations = Conversations.from_settings(settings)
    sys.exit(run_discord_bot(settings, engine.answer, conversations=conversations))


@cli.command("eval")
@index_dir_option
@click.option(
    "--source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Score against this folder of articles, its index built once then reused "
    "(default: the index at --index-dir).",
)
@click.option(
    "--qa",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="QA file (JSONL) (default: tests/data/gold.jsonl).",
)
@click.option(
    "-k",
    "k",
    type=click.IntRange(1, 50),
    default=5,
    show_default=True,
    help="Hits scored for hit@k.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option(
    "--mode",
    type=click.Choice(["hybrid", "dense", "lexical"]),
    default="hybrid",
    show_default=True,
    help="Retriever scored by hit@k and MRR (answers always use hybrid).",
)
@click.option(
    "--min-hit5", type=float, default=None, help="Fail below this hit@5 (default: no floor)."
)
@click.option(
    "--min-accuracy", type=float, default=None, help="Fail below this accuracy (default: no floor)."
)
@click.option(
    "--min-refused",
    type=float,
    default=None,
    help="Fail below this share of unanswerable questions refused (default: no floor).",
)
@click.option(
    "--feedback",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Replay a Discord feedback log instead of a QA file (default: none).",
)
@click.option(
    "--calibrate",
    is_flag=True,
    help="Print the abstention threshold that suits this QA file (docs/calibration.md).",
)
@click.option(
    "--conversations",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Score a conversation file (JSONL, one conversation a line) instead of a QA file "
    "(default: none).",
)
@click.option(
    "--min-follow-ups",
    type=float,
    default=None,
    help="Conversations: fail below this share of follow-up turns right (default: no floor).",
)
@click.option(
    "--min-first-turns",
    type=float,
    default=None,
    help="Conversations: fail below this share of first turns right (default: no floor).",
)
@click.option(
    "--min-clean",
    type=float,
    default=None,
    help="Conversations: fail below this share of topic switches answered as alone "
    "(default: no floor).",
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
    conversations: Path | None,
    min_follow_ups: float | None,
    min_first_turns: float | None,
    min_clean: float | None,
) -> None:
    """Measure retrieval, answers, abstention and latency on a QA file.

    Exits 1 when a --min-* floor is missed.
    """
    settings = _settings(index_dir)
    if source is None:
        require_index(
            settings.index_dir,
            given=index_dir is not None,
            database_url=settings.database_url,
            schema=settings.database_schema,
        )
    else:
        require_source(source, given=True)
        require_database(settings.database_url, settings.database_schema)
    from bot import evaluate
    from bot.engine import Engine

    if source is not None:
        settings = _corpus_settings(settings, source)
    engine = Engine.load(settings)
    if feedback is not None:
        click.echo(evaluate.render_replay(evaluate.replay_feedback(engine, feedback)))
        return
    if conversations is not None:
        _eval_conversations(
            engine, conversations, as_json, (min_follow_ups, min_first_turns, min_clean)
        )
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
        print_error(f"floor missed: {line}")
    if failed:
        sys.exit(1)


def _eval_conversations(
    engine: Any, path: Path, as_json: bool, floors: tuple[float | None, float | None, float | None]
) -> None:
    from bot import evaluate_conversations as ec

    results = ec.run_conversations(engine, ec.load_conversations(path))
    if as_json:
        click.echo(json.dumps(ec.conversation_figures(results), ensure_ascii=False, indent=1))
    else:
        click.echo(ec.render_conversations(results))
    missed = ec.check_conversation_floors(results, *floors)
    for line in missed:
        print_error(f"floor missed: {line}")
    if missed:
        sys.exit(1)


def _corpus_settings(settings: Settings, source: Path) -> Settings:
    """The settings that read the index of `source`: a folder beside the main index, or
    with a database, a schema of its own there (`corpus_…`)."""
    if not settings.database_url:
        return settings.with_overrides(index_dir=_corpus_index(settings, source))
    from bot.progress import build_progress
    from index.build import build_index
    from index.chunk import ChunkSettings
    from index.corpora import corpus_index_dir
    from index.embed import load_embedder
    from index.store import open_store

    schema = "corpus_" + corpus_index_dir(source, Path()).name.replace("-", "_").lower()[:50]
    embedder = load_embedder(
        settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )
    store = open_store(settings.index_dir, settings.database_url, schema)
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    with build_progress() as progress:
        report = build_index(source, store, embedder, chunking, progress=progress)
    state = "reused" if report.up_to_date else "built"
    click.echo(
        f"index of {source} {state} at {store.location} ({report.articles} articles)", err=True
    )
    return settings.with_overrides(database_schema=schema)


def _corpus_index(settings: Settings, source: Path) -> Path:
    """The index of `source` beside the main one, built or brought up to date."""
    from bot.progress import build_progress
    from index.chunk import ChunkSettings
    from index.corpora import ensure_corpus_index
    from index.embed import load_embedder

    embedder = load_embedder(
        settings.embedding_model,
        query_prefix=settings.query_prefix,
        passage_prefix=settings.passage_prefix,
    )
    chunking = ChunkSettings(settings.chunk_size, settings.chunk_overlap)
    with build_progress() as progress:
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
@click.option(
    "--calib",
    "extra",
    type=(
        click.Path(exists=True, dir_okay=False, path_type=Path),
        click.Path(exists=True, file_okay=False, path_type=Path),
    ),
    multiple=True,
    metavar="QA_FILE FOLDER",
    help="Also calibrate abstention on this QA file asked of this folder "
    "(repeatable; default: none).",
)
def train_command(out: Path | None, seed: int | None, extra: tuple[tuple[Path, Path], ...]) -> None:
    """Fit the answer model on the shipped question files.

    The ranker learns from PIAF's train split and tests/data/gold.jsonl; the abstainer
    and its threshold from PIAF's calib split, dev.jsonl and blind.jsonl (and --calib
    files). See docs/calibration.md."""
    from bot.answer.train import SEED, TrainingSet, run_training

    settings = _settings(None)
    show_info_from("newsbot")  # training reports each corpus as it goes
    summary = run_training(
        PROJECT_ROOT,
        out,
        seed=SEED if seed is None else seed,
        index_for=lambda source: _corpus_index(settings, source),
        embedder_settings=settings,
        calibration=[TrainingSet(f"calib-{qa.stem}", qa, folder) for qa, folder in extra],
    )
    click.echo(summary)


def _load_dotenv() -> None:
    """The first .env from the current folder upward, else the project's own."""
    from dotenv import find_dotenv, load_dotenv

    found = find_dotenv(usecwd=True)
    load_dotenv(found or PROJECT_ROOT / ".env")


def _usage_error(exc: click.UsageError) -> str:
    command = exc.ctx.command_path if exc.ctx is not None else "newsbot"
    text = exc.format_message().rstrip(".")
    if isinstance(exc, click.NoSuchOption) and command.endswith((" ask", " search")):
        text += (
            f". A question that starts with '-' goes after `--`: "
            f'{command} -- "{exc.option_name} …"'
        )
    return f"{text} (see `{command} --help`)"


def main(argv: list[str] | None = None) -> None:
    """Console entry point: reads .env, runs the command, turns known errors into one line."""
    _load_dotenv()
    try:
        cli.main(args=argv, prog_name="newsbot", standalone_mode=False)
    except click.exceptions.Abort:
        print_error("aborted")
        sys.exit(130)
    except click.UsageError as exc:
        print_error(_usage_error(exc))
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        print_error(exc.format_message())
        sys.exit(exc.exit_code)
    except (NewsbotError, SettingsError) as exc:
        print_error(str(exc))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
