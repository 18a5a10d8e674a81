"""`newsbot train`: fit the answer model on the shipped question files."""

from __future__ import annotations

from pathlib import Path

import click

from bot.cli.corpus import corpus_index
from bot.cli.options import command_settings
from bot.console import show_info_from
from bot.settings import PROJECT_ROOT


@click.command("train")
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

    settings = command_settings(None)
    show_info_from("newsbot")  # training reports each corpus as it goes
    summary = run_training(
        PROJECT_ROOT,
        out,
        seed=SEED if seed is None else seed,
        index_for=lambda source: corpus_index(settings, source),
        embedder_settings=settings,
        calibration=[TrainingSet(f"calib-{qa.stem}", qa, folder) for qa, folder in extra],
    )
    click.echo(summary)
