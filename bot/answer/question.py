"""What a question asks: its kind, its terms and the names it asks about, read once."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from index.lexical import analyze, fold_accents
from index.store.base import LexicalStats

KINDS = ("who", "when", "where", "why", "count", "how", "what")
_TOKEN = re.compile(r"\w+")
# A proper name: a capitalised word (with its hyphenated parts: "Jong-un").
_NAME = re.compile(r"\b[A-ZÀ-Ý][\w’'-]*\w")
# What opens a question or a clause: a capitalised word there is no name.
_CLAUSE_START = re.compile(r"(?:^|[.!?:;«“\"(\[–—-])\W*$")


@cache
def answer_types() -> dict[str, dict[str, tuple[str, ...]]]:
    """bot/data/answer_types.toml: question words and answer cues per kind of question."""
    text = resources.files("bot.data").joinpath("answer_types.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return {
        table: {kind: tuple(words) for kind, words in data[table].items()}
        for table in ("question_words", "answer_cues")
    }


def folded_words(text: str) -> str:
    """Folded words of `text` joined by single spaces and padded, for phrase lookups."""
    return " " + " ".join(_TOKEN.findall(fold_accents(text).replace("'", " "))) + " "


def question_kind(question: str) -> str | None:
    """The kind of answer asked for, read from the first question word."""
    words = folded_words(question)
    found = [
        (position, -len(phrase), kind)
        for kind, phrases in answer_types()["question_words"].items()
        for phrase in phrases
        if (position := words.find(f" {phrase} ")) >= 0
    ]
    return min(found)[2] if found else None


@dataclass(frozen=True)
class Question:
    """One question as the features read it."""

    text: str
    language: str
    kind: str | None
    terms: tuple[str, ...]  # distinct index terms, question words dropped
    terms_in_order: tuple[str, ...]  # every index term, in the question's order
    weights: tuple[float, ...]  # IDF of each term in the corpus
    names: tuple[str, ...]  # stems of the proper names it asks about
    unknown_names: float  # share of those names the corpus never uses (typos forgiven)
    unknown_terms: float  # IDF-weighted share of its terms the corpus never uses
    max_idf: float  # the IDF a term the corpus never uses gets: log(1 + articles)

    @classmethod
    def read(cls, text: str, language: str, lexical: LexicalStats) -> Question:
        in_order = tuple(analyze(text, query=True))
        terms = tuple(dict.fromkeys(in_order))
        # An English question over French articles spells names its own way ("Korea" for
        # "Corée"): only a French question's names are checked against the corpus.
        names = proper_names(text) if language != "en" else ()
        unknown = sum(corpus_stem(lexical, n) is None for n in names)
        weights = tuple(lexical.idf(t) for t in terms)
        vocabulary = lexical.vocabulary()
        missing = sum(w for t, w in zip(terms, weights, strict=True) if t not in vocabulary)
        return cls(
            text=text,
            language=language,
            kind=question_kind(text),
            terms=terms,
            terms_in_order=in_order,
            weights=weights,
            names=names,
            unknown_names=unknown / len(names) if names else 0.0,
            unknown_terms=missing / sum(weights) if weights else 0.0,
            max_idf=math.log1p(max(lexical.size, 1)),
        )


def proper_names(text: str) -> tuple[str, ...]:
    """Stems of the capitalised words that do not open the text or one of its clauses."""
    stems = [
        stem
        for m in _NAME.finditer(text)
        if not _CLAUSE_START.search(text[: m.start()])
        for part in re.split(r"[-’']", m.group())
        if len(part) >= 3 and (stem := next(iter(analyze(part)), ""))
    ]
    return tuple(dict.fromkeys(stems))


def corpus_stem(lexical: LexicalStats, stem: str) -> str | None:
    """The vocabulary stem `stem` stands for: itself, a longer word it begins, or a
    spelling a typo or two away ("putin", "ushakov"); None if the corpus has none."""
    vocabulary = lexical.vocabulary()
    if stem in vocabulary:
        return stem
    if len(stem) < 4:
        return None
    longer = next((term for term in vocabulary if term.startswith(stem)), None)
    if longer is not None:
        return longer
    allowed = 1 if len(stem) < 7 else 2
    match = process.extractOne(
        stem, vocabulary.keys(), scorer=DamerauLevenshtein.distance, score_cutoff=allowed
    )
    return None if match is None else str(match[0])
