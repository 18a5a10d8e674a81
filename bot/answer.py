"""`answer_question`: pick the sentences that answer, quote them verbatim, cite them.

Extractive by default; with a language model configured, its answer is used only when
every citation marker it writes points at a passage it was given.
"""

from __future__ import annotations

import logging
import math
import re
import weakref
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from bot.aliases import metonyms, readings
from bot.models import Answer, Citation, Passage
from bot.prompts import message
from bot.quantity import QuantityAsk, asked_quantity, states_quantity
from bot.question import clean_question, detect_language
from bot.role import asked_role, asked_speaker, role_positions, states_role
from index.chunk import split_sentences
from index.lexical import LexicalIndex, analyze, document_terms, fold_accents
from index.models import Article, Chunk, Hit
from index.search import HybridSearcher

if TYPE_CHECKING:
    from bot.llm import LanguageModel

log = logging.getLogger("newsbot.bot")

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
# Matched on accent-folded text, so "fevrier" and "février" both count.
_MONTHS = re.compile(
    r"\b(?:janvier|fevrier|mars|avril|mai|juin|juillet|aout|septembre|octobre|novembre|"
    r"decembre|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|demain|"
    r"aujourd.hui|\d{4}|\d{1,2} ?h(?: ?\d{2})?|midi|minuit)\b"
)
_COUNT_WORDS = re.compile(
    r"\b(?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|vingt|cent|mille|"
    r"dizaines?|centaines?|milliers?|millions?|milliards?|\w+ièmes?|premiers?|premières?)\b",
    re.IGNORECASE,
)
# "À quelle heure…" asks for a time of day (matched on folded text), which a clock time,
# noon or midnight gives.
_CLOCK_ASK = re.compile(r"\b(?:a|vers|de) quelle heure|\bwhat time\b|\bat what hour\b")
_CLOCK = re.compile(
    r"\b\d{1,2} ?heures?\b|"
    r"\b\d{1,2} ?h(?: ?\d{2})?\b|\b\d{1,2}:\d{2}\b|\bmidi\b|\bminuit\b|\b[ap]\.?m\b"
)
# What opens a question or a clause: a capitalised word there is no name ("Bonjour !
# Pourquoi…", "Question : Combien…", "« Quand…").
_CLAUSE_START = re.compile(r"(?:^|[.!?:;«“\"(\[–—-])\W*$")
_WORD = re.compile(r"\w+")
_ARTICLE_BEFORE = re.compile(r"\b(?:[Ll]e|[Ll]a|[Ll]es|[Ll]['’])\s*$")
_ARTICLE = re.compile(r"(?:Le|La|Les|L['’])\b")
# A proper name: a capitalised word (with its hyphenated parts: "Jong-un").
_NAME = re.compile(r"\b[A-ZÀ-Ý][\w’'-]*\w")
# Stems at least this long match another that starts with them (see `_has_term`).
_PREFIX_MATCH = 5
# What a sentence giving a reason usually says.
_CAUSE = re.compile(
    r"\b(?:parce que|parce qu|car|en raison d|à cause d|a cause d|grâce à|afin d|afin qu|"
    r"puisque|dû à|du fait d|en raison|raison|motif|but|objectif|afin|pour (?:que|qu)|"
    r"because|due to|in order to|reason)",
    re.IGNORECASE,
)
# Reported speech or thought: a verb of saying or hoping, "selon", an inverted "a-t-il",
# or a quotation.
_SPEECH = re.compile(
    r"^\W*pour\b|\b(?:déclar(?!ation)\w*|affirm\w*|dit|disant|estim\w*|soulign\w*|"
    r"précis\w*|ajout\w*|"
    r"indiqu\w*|assur\w*|dénonc\w*|qualifi\w*|présent\w*|expliqu\w*|annonc\w*|"
    r"rappel\w*|insist\w*|averti\w*|écrit|jug\w*|décri\w*|évoqu\w*|promis|promet\w*|"
    r"exprim\w*|per[çc]oi\w*|consid[eéè]r\w*|esp[eè]r\w*|pens\w*|craint\w*|craign\w*|"
    r"souhait\w*|redout\w*|reproch\w*|accus\w*|suggèr\w*|suggér\w*|inquièt\w*|inquiét\w*|"
    r"rapport(?:e|ent|ait|é)\b|parl(?:e|ent|é|ait|aient|ant)\b|fait savoir|"
    # A quotation introduced by a colon ("Poutine : « … »"); a term in quotation marks
    # ("le « partenariat stratégique global »") is no speech.
    r"selon|d['’]après|a-t-(?:il|elle)|ont-(?:ils|elles))\b|:\s*[«“\"]",
    re.IGNORECASE,
)
# A quotation: what was said, in which the speaker is not named.
_QUOTED = re.compile(r"«[^»]*»|“[^”]*”|\"[^\"]*\"")
# A participle after "est", "sont", "été" or a comma is passive or an adjective: "les
# Nord-Coréens sont accusés", "cette visite, jugée exceptionnelle".
_PARTICIPLE = ("é", "ée", "és", "ées", "is", "ise", "ises")
_PASSIVE = re.compile(r"(?:\b(?:est|sont|été|était|étaient|être|sera|seront|soit|fut)|,)\s*$")
# "de Poutine", "du Kremlin": a name as someone's employer, which speaks only through
# a spokesperson, an office or its head.
_GENITIVE = re.compile(
    r"\b(?:[Dd]e|[Dd]u|[Dd]es|[Dd]['’])\s*(?:la |le |les |l['’])?"
    r"(?:[A-ZÀ-Ý][\w-]*\s+){0,2}$"  # "de Vladimir Poutine"
)
_SPOKESPERSON = re.compile(
    r"\b(?:porte-parole|porte parole|présidence|ministère|ministre|gouvernement|services?|"
    r"bureau|cabinet|secrétaire général|chef|président|directeur|diplomatie|propos|paroles|"
    r"déclarations?|termes|mots)\b[^,;:]{0,40}$",
    re.I,
)
# Questions longer than this are not also read with periphrases swapped: each reading
# costs an embedding, and a long question is rarely asked in one set of words.
_MAX_REWRITTEN = 300
# A name this close to the start of a sentence is its subject.
_SUBJECT = 20
# How many sentences back a sentence going on ("Il a ajouté…") may find its speaker.
_GOES_BACK = 3
# How close to a verb of saying or a quotation its speaker is named.
_SAID_NEAR = 60
# A sentence that goes on with what the speaker named before it said.
_SPEAKER_GOES_ON = re.compile(
    r"^\W*(?:il|elle|ils|elles|selon lui|selon elle|pour lui)\b|-t-(?:il|elle)\b", re.I
)
_PROPER_NAME = re.compile(r"(?<=[\w,;:’'] )[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+)*")
_QUESTION_TYPES = {
    # "Qu'est-ce qui est prévu ?" asks what, not who.
    "who": re.compile(r"(?<!\bce )(?<!\bce-)\b(?:qui|who|whom|whose)\b", re.I),
    "when": re.compile(
        r"\b(?:quand|when|(?:quelle|à quelle|a quelle) (?:date|année|annee|heure)|quels? jours?|"
        r"quel mois|what (?:date|year|day|month|time)|which (?:day|year|month))\b",
        re.I,
    ),
    "where": re.compile(r"\b(?:où|ou est|where|quel pays|which country|quelle ville)\b", re.I),
    "why": re.compile(
        r"\b(?:pourquoi|why|pour quelle raison|for what reason|dans quel but)\b", re.I
    ),
    "count": re.compile(
        r"\b(?:combien|combienti[eè]mes?|quanti[eè]mes?|how many|how much|how long|montant|"
        r"prix|co[uû]ts?|cost|price)\b",
        re.I,
    ),
}


@dataclass(frozen=True)
class AnswerOptions:
    """Weights and thresholds of sentence choice and abstention (see docs/calibration.md)."""

    dense_weight: float = 1.0
    lexical_weight: float = 0.35
    type_bonus: float = 0.06
    type_window: int = 5  # a sentence of the asked type is looked for among this many
    rank_bonus: float = 0.02
    max_sentences: int = 2
    context_discount: float = 0.6  # weight of terms found only in the previous sentence
    second_sentence_margin: float = 0.03  # a second quote must score this close to the best
    # ... or this close if it goes on from the first ("Il a souligné que…" right after it).
    continuation_margin: float = 0.1
    same_fact_jaccard: float = 0.5  # two sentences state the same fact (cite both)
    # Confidence = dense similarity + coverage_weight x term coverage + peak_weight x how far
    # the best sentence stands out from the other candidates (see docs/calibration.md).
    coverage_weight: float = 0.2
    peak_weight: float = 2.0
    # Added when the best sentence names the role the question asks about, or reports what
    # the speaker it quotes said: "Il espère que…" answers "Qu'espère Ouchakov ?" though
    # its words are not the question's. Any value from 0.15 to 0.3 gave the same results
    # (docs/calibration.md).
    attribution_weight: float = 0.2
    # Abstain below this confidence (calibrated on the gold set with `newsbot eval`).
    min_confidence: float = 0.96
    # English questions over French text score on a scale of their own.
    min_confidence_en: float = 0.933
    related: int = 2
    # A refusal shows a closest sentence as "possibly related" only at this dense
    # similarity or above: off-topic questions get none (docs/calibration.md).
    related_similarity: float = 0.825
    # An English question's word is also read as the corpus word it is this close to
    # ("treaty" -> "traité", index/words.py); 0.87-0.89 gave the same results.
    bridge_similarity: float = 0.88


@dataclass(frozen=True)
class _Sentence:
    article: Article
    chunk: Chunk
    start: int
    end: int
    terms: frozenset[str]
    score: float
    dense: float
    coverage: float
    said: bool  # the sentence reports what the speaker the question quotes said
    names_role: bool  # the sentence names the whole role a "qui est le <rôle>" asks about

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


@dataclass(frozen=True)
class _Asked:
    """What the question asks for, read once: its type and what its answer must give."""

    kind: str | None
    quantity: QuantityAsk | None  # how-many questions: a number of what
    role: tuple[str, ...]  # French "qui est le <rôle>"
    speaker: tuple[str, ...]  # French "selon X", "qu'a dit X", "comment X décrit"
    topic: frozenset[str]  # the terms that say what it is about
    names: tuple[str, ...] = ()  # French: the proper names it asks about, folded
    clock: bool = False  # "à quelle heure": a time of day, not just a date

    @classmethod
    def read(cls, question: str, language: str) -> _Asked:
        kind = question_type(question)
        french = language == "fr"
        return cls(
            kind=kind,
            quantity=asked_quantity(question) if kind == "count" else None,
            role=asked_role(question) if french else (),
            speaker=asked_speaker(question) if french else (),
            topic=frozenset(analyze(question, query=True)) - frozenset(analyze("selon")),
            names=_names(question) if french else (),
            clock=bool(_CLOCK_ASK.search(fold_accents(question))),
        )


def _names(question: str) -> tuple[str, ...]:
    """The proper names of a question, folded: capitalised words that do not open it or
    one of its clauses ("Bonjour ! Quelle a été la réaction du Japon ?" -> ("japon",)),
    and adjectives of a place ("la réaction japonaise" -> ("japonaise",))."""
    parts = [
        p
        for m in _NAME.finditer(question)
        if not _CLAUSE_START.search(question[: m.start()])
        for p in re.split(r"[-’']", fold_accents(m.group()))
    ]
    places = metonyms()
    parts += (w for w in _WORD.findall(fold_accents(question)) if _stem(w) in places)
    return tuple(dict.fromkeys(p for p in parts if len(p) >= 3))


# A name as the corpus writes it: the vocabulary stems of each form it may take ("kiev"
# as itself or as "ukrain"); () when there is nothing to check (a stopword); None when the
# corpus never names it.
_Forms = tuple[tuple[str, ...], ...] | None
# Per index, so a swapped-out index is not kept alive by the cache.
_KNOWN_NAMES: weakref.WeakKeyDictionary[LexicalIndex, dict[str, _Forms]] = (
    weakref.WeakKeyDictionary()
)
# A name of the question that fewer than this share of the retrieved sentences use is what
# the question is about beyond the shared topic: the quoted sentence must name it.
_FOCUS_SHARE = 0.2


def _corpus_forms(lexical: LexicalIndex, name: str) -> _Forms:
    """How the corpus names `name` (a folded word): its stem, a spelling a typo or two
    away ("Putin", "Ushakov"), a longer word it begins ("Viêt" for "Vietnam"), or what it
    stands for ("Kiev" for "Ukraine", bot/data/aliases.toml)."""
    known = _KNOWN_NAMES.setdefault(lexical, {})
    if name not in known:
        if len(known) >= 10_000:  # names come from users: keep the memory bounded
            known.clear()
        own = _corpus_stem(lexical, name)
        if own == "":
            known[name] = ()
        else:
            forms: list[tuple[str, ...]] = [(own,)] if own else []
            for other in metonyms().get(_stem(name), ()):
                stems = [_corpus_stem(lexical, w) for w in other]
                if all(stem is not None for stem in stems):  # "" is a stopword: skipped
                    forms.append(tuple(stem for stem in stems if stem))
            known[name] = tuple(f for f in forms if f) or None
    return known[name]


def _stem(word: str) -> str:
    """The index term of one word ("" for a stopword)."""
    return next(iter(analyze(word)), "")


def _corpus_stem(lexical: LexicalIndex, word: str) -> str | None:
    """The vocabulary stem `word` stands for, "" for a stopword, None if none."""
    stem = _stem(word)
    if not stem:
        return ""
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


def _focus(lexical: LexicalIndex, names: tuple[str, ...], ranked: list[_Sentence]) -> list[_Forms]:
    """The forms of the question's names that few retrieved sentences use ("Pékin" in a
    question about Putin's visit), which the quoted sentence must name."""
    out: list[_Forms] = []
    for name in names:
        forms = _corpus_forms(lexical, name)
        if forms and ranked:
            share = sum(_names_in(s.terms, forms) for s in ranked) / len(ranked)
            if share < _FOCUS_SHARE:
                out.append(forms)
    return out


def _names_in(terms: frozenset[str], forms: _Forms) -> bool:
    return any(all(_has_term(terms, t) for t in form) for form in forms or ())


def _mentions(sentence: _Sentence, focus: list[_Forms]) -> bool:
    """The sentence, or the one before it (which often names its subject), names every
    focus name; a sentence reporting what the asked speaker said names them too."""
    if sentence.said or not focus:
        return True
    starts, spans = _article_sentences(sentence.article.text)
    i = bisect_right(starts, sentence.start) - 1
    before = sentence.article.text[spans[i - 1][0] : sentence.start] if i > 0 else ""
    terms = sentence.terms | document_terms(before)
    return all(_names_in(terms, forms) for forms in focus)


def question_type(question: str) -> str | None:
    """The kind of answer asked for, read from the first question word: in "Pourquoi le
    panel qui contrôlait… ?" the relative "qui" does not make it a who-question."""
    found = [
        (match.start(), name)
        for name, pattern in _QUESTION_TYPES.items()
        if (match := pattern.search(question))
    ]
    return min(found)[1] if found else None


def _has_type(sentence: str, kind: str | None) -> bool:
    if kind == "when":
        return bool(_MONTHS.search(fold_accents(sentence)))
    if kind == "count":
        return bool(_COUNT_WORDS.search(sentence))
    if kind == "why":
        return bool(_CAUSE.search(sentence))
    if kind in ("who", "where"):
        return bool(_PROPER_NAME.search(sentence))
    return False


def _candidates(
    hits: list[Hit], searcher: HybridSearcher, asked: _Asked, vector: np.ndarray, o: AnswerOptions
) -> list[_Sentence]:
    """Every sentence of the retrieved chunks (and their wire copies), scored."""
    # Whom the question quotes ("selon Ouchakov") counts as covered by every sentence that
    # speaker said, even as "il" two sentences after being named.
    speaker = asked.speaker
    speaker_terms = frozenset(analyze(" ".join(speaker)))
    weights = {t: searcher.lexical.idf(t) for t in asked.topic}
    total = sum(weights.values()) or 1.0
    kind = asked.kind
    seen: set[tuple[str, int, int]] = set()
    out: list[_Sentence] = []
    for hit in hits:
        for chunk in (hit.chunk, *hit.duplicates):
            article = searcher.articles[chunk.article_id]
            previous: frozenset[str] = frozenset()
            for start, end in split_sentences(article.text, chunk.start, chunk.end):
                span = (article.id, start, end)
                text = article.text[start:end]
                terms = document_terms(text)
                context, previous = previous, terms
                if span in seen or _is_heading(text):
                    continue
                seen.add(span)
                row = searcher.sentence_rows.get(span)
                said = bool(speaker) and _said_in(article.text, start, speaker)
                covered = terms | speaker_terms if said else terms
                # A sentence often names its subject in the one before ("Ce traité…" after
                # "Le traité…"): that context counts, discounted.
                coverage = max(
                    _coverage(covered, weights, total),
                    o.context_discount * _coverage(covered | context, weights, total),
                )
                dense = searcher.sentence_similarity(row, vector) if row is not None else 0.0
                score = (
                    o.dense_weight * dense
                    + o.lexical_weight * coverage
                    + (o.type_bonus if _has_type(text, kind) or said else 0.0)
                    + o.rank_bonus / hit.rank
                )
                out.append(
                    _Sentence(
                        article,
                        chunk,
                        start,
                        end,
                        terms,
                        score,
                        dense,
                        coverage,
                        said,
                        bool(asked.role) and _names_holder(text, asked.role),
                    )
                )
    out.sort(key=lambda s: -s.score)
    return out


@lru_cache(maxsize=64)
def _article_sentences(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    spans = split_sentences(text)
    return [a for a, _ in spans], spans


@lru_cache(maxsize=20_000)
def _said_in(text: str, start: int, speaker: tuple[str, ...]) -> bool:
    """The sentence of `text` starting at `start` reports what `speaker` said: it names
    them as its speaker, or it goes on ("Il a précisé que…", "…, a-t-il souligné") from
    sentences just before it, the first of which does."""
    starts, spans = _article_sentences(text)
    i = bisect_right(starts, start) - 1
    for j in range(i, max(-1, i - _GOES_BACK - 1), -1):
        sentence = text[max(spans[j][0], start if j == i else 0) : spans[j][1]]
        if _names_speaker(sentence, speaker):
            return True
        if not _SPEAKER_GOES_ON.search(_unquoted(sentence)):
            return False
    return False


def _names_holder(text: str, role: tuple[str, ...]) -> bool:
    """The sentence states the whole role and names someone beside it: "le chef d'état
    russe" alone does not say who "le chef de l'Etat russe" is."""
    if not states_role(text, role, near=True):
        return False
    # A person's name takes no article: "Le Figaro" holds no office.
    return any(
        any(w not in role for w in _WORD.findall(fold_accents(m.group())))
        for m in _PROPER_NAME.finditer(text)
        if not _ARTICLE_BEFORE.search(text[: m.start()]) and not _ARTICLE.match(m.group())
    )


def _unquoted(text: str) -> str:
    """`text` with what is inside quotation marks blanked out, offsets kept."""
    return _QUOTED.sub(lambda m: m.group()[0] + " " * (len(m.group()) - 2) + m.group()[-1], text)


def _names_speaker(text: str, speaker: tuple[str, ...]) -> bool:
    """`text` names `speaker` as the one speaking: within 60 characters of a verb of
    saying or a quotation mark, outside the quotation, and not as someone's employer
    ("le conseiller de Poutine a indiqué" is the adviser speaking, "le porte-parole du
    Kremlin a déclaré" is the Kremlin)."""
    outside = _unquoted(text)
    markers = [
        m.start()
        for m in _SPEECH.finditer(outside)
        if not (m.group().endswith(_PARTICIPLE) and _PASSIVE.search(outside[: m.start()]))
    ]
    if not markers:
        return False
    for position in role_positions(outside, speaker):
        before = outside[max(0, position - 60) : position]
        if _GENITIVE.search(before) and not _SPOKESPERSON.search(before):
            continue
        # Near the verb, or the sentence's subject: "John Kirby, porte-parole du Conseil
        # de sécurité nationale de la Maison-Blanche, a exprimé…".
        if position <= _SUBJECT or any(abs(position - m) <= _SAID_NEAR for m in markers):
            return True
    return False


def _coverage(terms: frozenset[str], weights: dict[str, float], total: float) -> float:
    """IDF-weighted share of the question's terms found in `terms`."""
    return sum(w for t, w in weights.items() if _has_term(terms, t)) / total


@lru_cache(maxsize=200_000)
def _has_term(terms: frozenset[str], term: str) -> bool:
    """`term` or a stem of the same word: Snowball gives "remerc" for "remercie" but
    "remerci" for "remercier", so stems of five letters or more match by prefix."""
    if term in terms:
        return True
    if len(term) < _PREFIX_MATCH:
        return False
    return any(
        len(other) >= _PREFIX_MATCH and (other.startswith(term) or term.startswith(other))
        for other in terms
    )


def _is_heading(text: str) -> bool:
    """Section titles and bylines state no fact: short and without final punctuation."""
    return len(text.split()) < 10 and not text.rstrip('»”"’) ').endswith((".", "!", "?"))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def confidence(ranked: list[_Sentence], o: AnswerOptions) -> float:
    """How sure we are that the best sentence answers; compared with `min_confidence`.

    A sentence that merely shares the topic scores like its neighbours; one that answers
    stands out from them, hence the peak term.
    """
    best = ranked[0]
    others = sorted((s.dense for s in ranked[1:]), reverse=True)[:10]
    peak = best.dense - (sum(others) / len(others)) if others else 0.0
    said = o.attribution_weight if best.said or best.names_role else 0.0
    return best.dense + o.coverage_weight * best.coverage + o.peak_weight * peak + said


def _answers_type(asked: _Asked, sentence: _Sentence) -> bool:
    """Whether the sentence gives the kind of answer the question asks for.

    How-many questions need a number of what they count (bot/quantity.py); French
    "qui est le <rôle>" questions need a sentence naming that whole role (bot/role.py).
    """
    if asked.quantity is not None:
        return states_quantity(sentence.text, asked.quantity)
    if asked.kind == "when" and not _has_type(sentence.text, "when"):
        return False
    if asked.clock and not _CLOCK.search(sentence.text):
        return False
    # Close together: "ministre … nord-coréenne des Affaires étrangères" after "russes" in
    # the same sentence is not "le ministre russe des Affaires étrangères".
    if asked.role and not sentence.names_role:
        return False
    # "Selon Ouchakov…", "Qu'a dit le président vietnamien…": the sentence reports what the
    # speaker said, naming them beside a verb of saying or going on from a sentence that
    # did ("Poutine a écrit… Il a précisé que…"); a mere mention is not enough.
    return not asked.speaker or sentence.said


class _Citations:
    """Numbers sources in order of first use; one number per quoted span."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.passages: list[Passage] = []

    def cite(self, s: _Sentence) -> int:
        for c in self.citations:
            if (c.article_id, c.start, c.end) == (s.article.id, s.start, s.end):
                return c.n
        snippet = s.article.text[s.start : s.end]
        n = len(self.citations) + 1
        self.citations.append(
            Citation(
                n,
                s.article.id,
                s.article.source,
                s.article.title,
                snippet,
                s.start,
                s.end,
                s.article.url,
            )
        )
        self.passages.append(
            Passage(n, s.article.id, s.article.title, s.article.source, s.chunk.text, s.article.url)
        )
        return n


def _choose(ranked: list[_Sentence], o: AnswerOptions) -> list[list[_Sentence]]:
    """The best sentence and maybe one more, each with its copies in other articles."""
    groups: list[list[_Sentence]] = []
    used: set[int] = set()
    for i, sentence in enumerate(ranked):
        if i in used:
            continue
        if groups:
            gap = groups[0][0].score - sentence.score
            if len(groups) >= o.max_sentences or gap > o.continuation_margin:
                break
            if gap > o.second_sentence_margin and not _continues(groups[0][0], sentence):
                continue
        if any(_jaccard(sentence.terms, g[0].terms) >= o.same_fact_jaccard for g in groups):
            continue
        group = [sentence]
        for j, other in enumerate(ranked[i + 1 :], i + 1):
            if (
                j not in used
                and other.article.id not in {s.article.id for s in group}
                and _jaccard(sentence.terms, other.terms) >= o.same_fact_jaccard
            ):
                group.append(other)
                used.add(j)
        groups.append(group)
    return groups


def _continues(first: _Sentence, second: _Sentence) -> bool:
    """`second` comes right after `first` and goes on with what its speaker said:
    "John Kirby… a exprimé des préoccupations… Il a souligné que…"."""
    return (
        first.article.id == second.article.id
        and second.start >= first.end
        and not first.article.text[first.end : second.start].strip()
        and bool(_SPEAKER_GOES_ON.search(second.text))
    )


def _abstain(
    question: str,
    language: str,
    ranked: list[_Sentence],
    o: AnswerOptions,
    note: str | None,
    score: float | None = None,
) -> Answer:
    related = _Citations()
    for sentence in ranked[: o.related]:
        if sentence.dense >= o.related_similarity:
            related.cite(sentence)
    return Answer(
        question=question,
        text=message("answer", "abstain", language),
        abstained=True,
        mode="extractive",
        language=language,
        related=tuple(related.citations),
        note=note,
        confidence=score,
    )


@dataclass(frozen=True)
class _Reading:
    """One reading of the question (as asked, or with a name swapped): what it finds."""

    text: str
    asked: _Asked
    hits: list[Hit]
    ranked: list[_Sentence]  # best first; a fitting sentence just below the top promoted
    fitting: list[_Sentence]  # the sentences that give the kind of answer asked for
    score: float | None  # confidence that ranked[0] answers

    @property
    def fits(self) -> bool:
        return bool(self.fitting) and self.ranked[0] is self.fitting[0]


def _read(text: str, language: str, searcher: HybridSearcher, k: int, o: AnswerOptions) -> _Reading:
    vector = searcher.embed(text)
    hits = searcher.search(text, k, vector=vector)
    asked = _Asked.read(text, language)
    ranked = _candidates(hits, searcher, asked, vector, o)
    # Only sentences that give the kind of answer asked for (a date, a number of what is
    # counted, the role or speaker asked about) may be quoted, the second one too.
    fitting = [s for s in ranked if _answers_type(asked, s)]
    # A question about Japan is not answered by a corpus that never names Japan.
    if any(_corpus_forms(searcher.lexical, name) is None for name in asked.names):
        fitting = []
    else:
        # "Comment Pékin a-t-il réagi ?" is not answered by a sentence about the visit
        # that never names China.
        focus = _focus(searcher.lexical, asked.names, ranked)
        fitting = [s for s in fitting if _mentions(s, focus)]
    if fitting and any(s is fitting[0] for s in ranked[1 : o.type_window]):
        # The best sentence does not fit but one of the next does: confidence judges it.
        ranked = [fitting[0], *(s for s in ranked if s is not fitting[0])]
    score = confidence(ranked, o) if ranked else None
    return _Reading(text, asked, hits, ranked, fitting, score)


def extractive_answer(
    question: str,
    reading: _Reading,
    language: str,
    o: AnswerOptions,
    note: str | None = None,
) -> Answer:
    floor = o.min_confidence_en if language == "en" else o.min_confidence
    score = reading.score
    if score is None or score < floor or not reading.fits:
        return _abstain(question, language, reading.ranked, o, note, score)
    cites = _Citations()
    parts = [message("answer", "intro", language)]
    for group in _choose(reading.fitting, o):
        markers = "".join(f"[{cites.cite(s)}]" for s in group)
        parts.append(message("answer", "quote", language, text=group[0].text) + " " + markers)
    return Answer(
        question=question,
        text=" ".join(parts),
        abstained=False,
        mode="extractive",
        language=language,
        citations=tuple(cites.citations),
        passages=tuple(cites.passages),
        note=note,
        confidence=score,
    )


def _llm_answer(
    question: str, hits: list[Hit], ranked: list[_Sentence], language: str, llm: LanguageModel
) -> Answer:
    """The model's answer, its markers mapped to the best sentence of each cited passage."""
    from bot.llm import UnsupportedAnswer, check_citations

    text = llm.generate(question, [h.chunk.text for h in hits], language)
    cited = check_citations(text, len(hits))
    cites = _Citations()
    renumber: dict[int, int] = {}
    for n in cited:
        chunk = hits[n - 1].chunk
        in_chunk = [s for s in ranked if s.chunk.id == chunk.id]
        if not in_chunk:  # every retrieved chunk has sentences; guard anyway
            continue
        renumber[n] = cites.cite(in_chunk[0])
    if not renumber:
        raise UnsupportedAnswer("uncited", "the model cited no passage with a quotable sentence")
    text = _MARKER.sub(lambda m: _renumbered(m.group(1), renumber), text)
    return Answer(
        question=question,
        text=text,
        abstained=False,
        mode="llm",
        language=language,
        citations=tuple(cites.citations),
        passages=tuple(cites.passages),
    )


def _renumbered(numbers: str, renumber: dict[int, int]) -> str:
    """`[2, 3]` in the model's numbering -> `[1][2]` in the answer's citations."""
    cited = [renumber[int(n)] for n in re.findall(r"\d+", numbers) if int(n) in renumber]
    return "".join(f"[{n}]" for n in cited)


def answer_question(
    question: str,
    searcher: HybridSearcher,
    *,
    k: int = 5,
    options: AnswerOptions | None = None,
    llm: LanguageModel | None = None,
) -> Answer:
    """Answer `question` from the index; never invents a citation."""
    o = options or AnswerOptions()
    cleaned = clean_question(question)
    language = detect_language(cleaned)
    searched = cleaned
    if language == "en":
        # The articles are French: "treaty" is also looked for as "traité".
        searched = " ".join([cleaned, *searcher.bridge(cleaned, o.bridge_similarity)])
    reading = _read(searched, language, searcher, k, o)
    if not reading.asked.topic:
        # Nothing left to look for ("Selon ,", "Qui ?"): any quote would be a guess.
        return _abstain(cleaned, language, reading.ranked, o, None)
    if language == "fr" and len(cleaned) <= _MAX_REWRITTEN:
        # "Le chef de la diplomatie russe…" is also read as "Le ministre des Affaires
        # étrangères russe…" (bot/aliases.py); the reading we are surest of is answered.
        others = [_read(text, language, searcher, k, o) for text in readings(cleaned)[1:]]
        reading = max([reading, *others], key=_strength)
    hits, ranked = reading.hits, reading.ranked
    note = None
    if llm is not None and hits:
        from bot.llm import LanguageModelError, UnsupportedAnswer

        try:
            return _llm_answer(cleaned, hits, ranked, language, llm)
        except UnsupportedAnswer as exc:
            if exc.abstained:
                return _abstain(cleaned, language, ranked, o, None)
            log.warning("language model answer rejected: %s", exc)
            note = message("answer", "llm_replaced", language, reason=str(exc))
        except LanguageModelError as exc:
            log.warning("language model answer rejected: %s", exc)
            note = message("answer", "llm_replaced", language, reason=str(exc))
    return extractive_answer(cleaned, reading, language, o, note)


def _strength(reading: _Reading) -> tuple[bool, float]:
    """Readings whose best sentence gives the kind of answer asked for first, then the
    most confident (the question as asked wins ties: `max` keeps the first)."""
    return reading.fits, reading.score if reading.score is not None else -math.inf
