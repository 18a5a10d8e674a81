"""The language facts of bot/data/conversation.toml, and the word splitting every step shares."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

WORD = re.compile(r"[\w’'-]+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class LanguageFacts:
    subject_pronouns: frozenset[str]
    feminine_pronouns: frozenset[str]
    plural_pronouns: frozenset[str]
    and_word: str
    stressed_pronouns: frozenset[str]
    possessives: frozenset[str]
    possessive_form: str  # "{name}'s"; empty: a possessive is left as typed
    place_pronouns: frozenset[str]
    topic_pronouns: frozenset[str]
    openers: tuple[str, ...]
    kept_openers: frozenset[str]
    impersonal: tuple[str, ...]
    back_references: tuple[str, ...]
    question_words: frozenset[str]
    copulas: frozenset[str]
    identity_verbs: frozenset[str]
    articles: frozenset[str]
    verb_clitics: frozenset[str]
    name_joiners: frozenset[str]
    place_prepositions: frozenset[str]
    place_fallback: str
    que_words: frozenset[str]
    question_prepositions: frozenset[str]
    que_form: str
    que_form_vowel: str
    vague: frozenset[str]
    interjections: frozenset[str]
    noun_determiners: dict[str, str]  # determiner → gender ("f", "m", or "n" for any)
    gender_articles: dict[str, str]  # gender → the article a noun phrase is given
    elided_article: str


@cache
def language_facts(language: str) -> LanguageFacts:
    """bot/data/conversation.toml for `language` ("fr" or "en"; French otherwise)."""
    text = resources.files("bot.data").joinpath("conversation.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    raw = data.get(language, data["fr"])

    def words(key: str) -> frozenset[str]:
        return frozenset(raw.get(key, []))

    return LanguageFacts(
        subject_pronouns=words("subject_pronouns"),
        feminine_pronouns=words("feminine_pronouns"),
        plural_pronouns=words("plural_pronouns"),
        and_word=str(raw.get("and_word", "")),
        stressed_pronouns=words("stressed_pronouns"),
        possessives=words("possessives"),
        possessive_form=str(raw.get("possessive_form", "")),
        place_pronouns=words("place_pronouns"),
        topic_pronouns=words("topic_pronouns"),
        openers=tuple(raw.get("openers", [])),
        kept_openers=words("kept_openers"),
        impersonal=tuple(raw.get("impersonal", [])),
        back_references=tuple(raw.get("back_references", [])),
        question_words=words("question_words"),
        copulas=words("copulas"),
        identity_verbs=words("identity_verbs"),
        articles=words("articles"),
        verb_clitics=words("verb_clitics"),
        name_joiners=words("name_joiners"),
        place_prepositions=words("place_prepositions"),
        place_fallback=str(raw.get("place_fallback", "")),
        que_words=words("que_words"),
        question_prepositions=words("question_prepositions"),
        que_form=str(raw.get("que_form", "")),
        que_form_vowel=str(raw.get("que_form_vowel", "")),
        vague=words("vague"),
        interjections=words("interjections"),
        noun_determiners=dict(raw.get("noun_determiners", {})),
        gender_articles=dict(raw.get("gender_articles", {})),
        elided_article=str(raw.get("elided_article", "")),
    )


def word_tokens(text: str) -> list[str]:
    return WORD.findall(text.replace("’", "'"))


def lower_tokens(text: str) -> list[str]:
    """Lower-case words, elided articles and pronouns split off ("l'a" → "l'", "a")."""
    out: list[str] = []
    for token in word_tokens(text.lower()):
        head, sep, rest = token.partition("'")
        if sep and rest and len(head) <= 3:
            out.extend([head + "'", rest])
        else:
            out.append(token)
    return out


def strip_elision(token: str) -> str:
    token = token.replace("’", "'")
    return token[: token.index("'") + 1] if "'" in token[:4] else token


# What stands in for a set phrase while pronouns are looked for: no word, no pronoun.
HELD = "⟦⟧"


@cache
def _phrases_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for all `phrases`, longest first, whole words, either apostrophe."""
    if not phrases:
        return None
    alternatives = [
        r"\s+".join(re.escape(w).replace("'", "['’]") for w in phrase.split())
        for phrase in sorted(phrases, key=len, reverse=True)
    ]
    return re.compile(r"(?<![\w'’-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.I)


def hold_impersonal(text: str, facts: LanguageFacts) -> tuple[str, tuple[str, ...]]:
    """`text` with its impersonal phrases ("il y a", "fera-t-il") set aside, so that their
    "il" and "y" are not read as pronouns; `release` puts them back."""
    pattern = _phrases_pattern(facts.impersonal)
    if pattern is None:
        return text, ()
    held = tuple(m.group(0) for m in pattern.finditer(text))
    return pattern.sub(HELD, text), held


def release(text: str, held: tuple[str, ...]) -> str:
    for phrase in held:
        text = text.replace(HELD, phrase, 1)
    return text


def has_back_reference(text: str, facts: LanguageFacts) -> bool:
    """Whether a phrase such as "la dernière fois" or "back then" points at an earlier turn."""
    pattern = _phrases_pattern(facts.back_references)
    return pattern is not None and pattern.search(text) is not None
