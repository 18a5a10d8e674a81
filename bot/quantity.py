"""What a how-many / how-much question counts, and whether a sentence states it.

"Combien de soldats…" is answered by a number of soldiers, not by any number: a
sentence about "des munitions" with a date in it does not answer it. The words come from
`bot/data/quantities.toml` (language data, the same for every corpus).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from index.lexical import fold_accents, stem_words

_ELIDED = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu)['’ʼ`]")
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:-[^\W\d_]+)*|[€$£¥₽₩]")
_NUMBER_WORDS = frozenset(
    "deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize "
    "vingt vingts trente quarante cinquante soixante cent cents mille et "
    "two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand".split()
)
_SCALES = frozenset(
    "dizaine dizaines douzaine douzaines centaine centaines millier milliers million "
    "millions milliard milliards".split()
)
# Between a number and what it counts: "des millions d'obus", "10 dernières années".
_LINKS = frozenset({"de", "d", "des"})
# "Sa première visite depuis 24 ans" ranks nothing ("first in 24 years"), unlike "la
# deuxième depuis son accession au pouvoir".
_ORDINAL = re.compile(
    r"\b(?:\w+iemes?|(?:premiers?|premieres?|1ers?|1res?)"
    r"(?!(?: [^\W\d]+){0,4} depuis (?:pres de |plus de |environ )?(?:\d|des |plusieurs |longtemps|"
    r"un |une |deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|quinze|vingt|trente|"
    r"quarante|cinquante|soixante|cent))"
    # Folded text splits "3e" / "2ème" into "3 e" / "2 eme".
    r"|\d+ ?(?:e|eme|emes|er|ere|nd|nde)|seconde?s?)\b"
)

_TIME_ASK = re.compile(
    r"\b(?:combien de temps|depuis combien|pendant combien|how long|pour combien de temps)\b"
)
_MONEY_ASK = re.compile(
    r"\b(?:combien (?:a |ont |va |vont )?(?:coute|coutent|coutera|couteront|coutait|couterait|"
    r"vaut|valent|valait|paye|payent|paie|paient|depense|depensent)|montant|montants|prix|"
    r"cout|couts|budget|how much (?:money|does|did|do|is|was|are|were|will)\b.*\b(?:cost|"
    r"costs|worth|pay|paid|spend|spent)|how much money|cost|price)\b"
)
_ORDINAL_ASK = re.compile(r"\b(?:combientiemes?|quantiemes?|combien ieme|what number)\b")
_NOUN_ASK = re.compile(
    r"\b(?:combien (?:de|d)|how many)(?: (?:de|d|des))* (?P<noun>[^\W\d_]+(?:-[^\W\d_]+)*)"
)
_LEADING_ADJECTIVES = frozenset(
    "nouveaux nouvelles autres anciens anciennes vrais grands grandes petits petites jeunes "
    "new other more".split()
)
# "Un"/"une" count only right before a time unit ("une semaine", "un an"), never alone.
_ARTICLES = frozenset({"un", "une", "one", "a", "an"})


@dataclass(frozen=True)
class QuantityAsk:
    """What the answer must give a number of.

    kind: "noun" (a number of one of `stems`), "time" (a number of a time unit),
    "money" (an amount), "ordinal" (first, second…) or "number" (any number).
    """

    kind: str
    stems: frozenset[str] = frozenset()


@cache
def _lexicon() -> dict[str, Any]:
    text = resources.files("bot.data").joinpath("quantities.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _stem(word: str) -> str:
    return stem_words([fold_accents(word)])[0]


@cache
def _time_stems() -> frozenset[str]:
    return frozenset(_stem(w) for w in _lexicon()["time_units"])


@cache
def _money_stems() -> frozenset[str]:
    return frozenset(_stem(w) for w in _lexicon()["money"]["words"])


@cache
def _ordinal_stems() -> frozenset[str]:
    return frozenset(_stem(w) for w in _lexicon()["ordinal_nouns"])


def _unit_family(stem: str) -> frozenset[str]:
    """The stems naming the same unit as `stem` ("an" and "annee"), or just `stem`."""
    for words in _lexicon()["same_unit"].values():
        stems = frozenset(_stem(w) for w in words)
        if stem in stems:
            return stems
    return frozenset({stem})


def _folded(text: str) -> str:
    """Folded words and numbers, elisions cut off: "d'obus" -> "d obus"."""
    unglued = _ELIDED.sub(lambda m: m.group(0)[:-1] + " ", text)
    return " ".join(_TOKEN.findall(fold_accents(unglued)))


def asked_quantity(question: str) -> QuantityAsk:
    """What `question` (a how-many/how-much question) asks a number of."""
    q = _folded(question)
    if _ORDINAL_ASK.search(q):
        return QuantityAsk("ordinal")
    if _MONEY_ASK.search(q):
        return QuantityAsk("money")
    if _TIME_ASK.search(q):
        return QuantityAsk("time", _time_stems())
    match = _NOUN_ASK.search(q)
    if match is None:
        return QuantityAsk("number")
    word = match.group("noun")
    rest = q[match.end() :].split()
    # "combien de millions d'obus": the scale is not what is counted.
    while word in _SCALES and len(rest) >= 2 and rest[0] in _LINKS:
        word, rest = rest[1], rest[2:]
    if word in _LEADING_ADJECTIVES and rest:  # "combien de nouveaux missiles"
        word = rest[0]
    if q[match.start() :].startswith("how many"):
        singular = word[:-1] if word.endswith("s") and len(word) > 3 else word
        translated = _lexicon()["english"].get(singular)
        if translated is None:  # an English noun we cannot map: any number will do
            return QuantityAsk("number")
        word = translated
    stem = _stem(word)
    if stem in _time_stems():
        return QuantityAsk("time", _unit_family(stem))
    return QuantityAsk("noun", _unit_family(stem))


def _is_number(token: str) -> bool:
    if token[0].isdigit() or token in _SCALES:
        return True
    parts = token.split("-")
    if len(parts) > 1:  # "vingt-et-un", "trente-deux"
        return all(part in _NUMBER_WORDS or part in ("un", "une") for part in parts)
    return token in _NUMBER_WORDS


def states_quantity(sentence: str, ask: QuantityAsk) -> bool:
    """Whether `sentence` gives the kind of number `ask` wants."""
    text = _folded(sentence)
    if ask.kind == "ordinal" or (ask.stems & _ordinal_stems() and _ORDINAL.search(text)):
        return bool(_ORDINAL.search(text))
    tokens = text.split()
    numbers = [i for i, t in enumerate(tokens) if _is_number(t) and t != "et"]
    if ask.kind == "number":
        return bool(numbers)
    if ask.kind == "time" and any(
        t in _ARTICLES and i + 1 < len(tokens) and _stem(tokens[i + 1]) in ask.stems
        for i, t in enumerate(tokens)
    ):
        # "une semaine", "un an": one, right before a time unit. Before other nouns "un"
        # is an article: "un accord" does not say how many accords.
        return True
    if ask.kind == "money":
        symbols = set(_lexicon()["money"]["symbols"])
        wanted = _money_stems()
        return any(
            tokens[j] in symbols or _stem(tokens[j]) in wanted
            for i in numbers
            for j in range(max(0, i - 1), min(len(tokens), i + 4))
        )
    return any(_counts(tokens, i, ask.stems) for i in numbers)


def _counts(tokens: list[str], i: int, stems: frozenset[str]) -> bool:
    """Whether the number at `i` counts one of `stems`: "24 ans", "des millions d'obus"."""
    others = 0
    for token in tokens[i + 1 : i + 5]:
        if _stem(token) in stems:
            return True
        if token in _LINKS or _is_number(token):
            continue
        others += 1  # one adjective may stand between: "10 dernières années"
        if others > 1:
            return False
    return False
