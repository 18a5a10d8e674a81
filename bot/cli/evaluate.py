"""`newsbot eval`: retrieval, answers, abstention and latency on a QA or conversation file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.corpus import corpus_settings
from bot.cli.options import command_settings, index_dir_option, require_index_of
from bot.console import print_error
from bot.preflight import require_database, require_source
from bot.settings import PROJECT_ROOT


@click.command("eval")
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
    "--ideal",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Conversations: also score hand-written standalone rewrites of the follow-ups "
    "(tests/data/conversations-ideal.jsonl) asked alone (default: none).",
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
    ideal: Path | None,
    min_follow_ups: float | None,
    min_first_turns: float | None,
    min_clean: float | None,
) -> None:
    """Measure retrieval, answers, abstention and latency on a QA file.

    Exits 1 when a --min-* floor is missed.
    """
    settings = command_settings(index_dir)
    if source is None:
        require_index_of(settings, given=index_dir is not None)
    else:
        require_source(source, given=True)
        require_database(settings.database_url, settings.database_schema)
    from bot import evaluate
    from bot.engine import Engine

    if source is not None:
        settings = corpus_settings(settings, source)
    engine = Engine.load(settings)
    if feedback is not None:
        click.echo(evaluate.render_replay(evaluate.replay_feedback(engine, feedback)))
        return
    if conversations is not None:
        _eval_conversations(
            engine, conversations, ideal, as_json, (min_follow_ups, min_first_turns, min_clean)
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
    engine: Any,
    path: Path,
    ideal: Path | None,
    as_json: bool,
    floors: tuple[float | None, float | None, float | None],
) -> None:
    from bot import evaluate_conversations as ec

    conversations = ec.load_conversations(path)
    results = ec.run_conversations(engine, conversations)
    extra = {}
    if ideal is not None:
        extra = ec.ideal_figures(engine, conversations, ec.load_ideal(ideal, path.name))
    if as_json:
        figures = {**ec.conversation_figures(results), **extra}
        click.echo(json.dumps(figures, ensure_ascii=False, indent=1))
    else:
        click.echo(ec.render_conversations(results))
        if extra:
            click.echo(
                f"follow-ups right with the ideal rewrite: {extra['follow_ups_right_ideal']} "
                f"(n={extra['follow_ups_right_ideal_n']})"
            )
    missed = ec.check_conversation_floors(results, *floors)
    for line in missed:
        print_error(f"floor missed: {line}")
    if missed:
        sys.exit(1)
