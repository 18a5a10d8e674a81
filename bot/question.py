"""Turn raw user text into a usable question, and tell its language."""

from __future__ import annotations

import re
import unicodedata

from bot.prompts import message
from index.errors import InvalidQuestionError

MAX_QUESTION_CHARS = 2000
_MENTION = re.compile(r"<(?:@[!&]?|#)\d+>|@(?:everyone|here)\b")
_MARKDOWN = re.compile(r"(?:\*\*|__|~~|\|\||```|`|^>+\s?|^#+\s|\*|_(?=\w)|(?<=\w)_)", re.M)
_WORD = re.compile(r"[a-zàâäçéèêëîïôöùûüÿœ']+")
# Undecodable argv bytes arrive as lone surrogates ("\udcff"), which no encoder accepts.
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"
_EN = frozenset(
    "the what who whom whose when where why how which is are was were did does do with "
    "of to in and many much did has have been will would about visit visited putin north "
    "korea south russia russian korean treaty weapons meet met".split()
)
_FR = frozenset(
    "le la les des du de qui que quoi quand où ou comment combien quel quelle quels quelles "
    "est sont a ont et en au aux une un pour avec dans sur par pourquoi poutine corée "
    "nord russie accord visite c'est qu'est-ce".split()
)

_EN_NAMES = frozenset("putin north korea south russia russian korean".split())
# German, Spanish, Italian and Portuguese function words: framed in French, not English.
_OTHER = frozenset(
    "der das den dem ein eine einen und ist hat wer wann wie wo warum welche welcher "
    "mit nach nicht auch von zu im besucht wurde el los las una y es quien cuando donde "
    "por con il gli chi quando dove perche della nel ha uma quem onde".split()
)


def clean_question(raw: str) -> str:
    """The question without control characters, Discord mentions or markdown.

    Raises InvalidQuestionError (message in French; the caller has no language yet
    for an empty question) when nothing usable is left or it is too long.
    """
    text = _SURROGATE.sub(REPLACEMENT, raw).strip()
    language = detect_language(text) if text else "fr"
    if not text:
        raise InvalidQuestionError(message("answer", "empty_question", language))
    if len(text) > MAX_QUESTION_CHARS:
        raise InvalidQuestionError(
            message("answer", "too_long", language, length=len(text), limit=MAX_QUESTION_CHARS)
        )
    text = "".join(" " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in text)
    text = _MARKDOWN.sub(" ", _MENTION.sub(" ", text))
    text = " ".join(text.split())
    if not any(c.isalnum() for c in text):
        raise InvalidQuestionError(message("answer", "nothing_left", language))
    return text


def _fold(word: str) -> str:
    # index.lexical.fold_accents, for the letters of these word lists; imported from there
    # it would load numpy and bm25s before the CLI can refuse a question.
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


def detect_language(text: str) -> str:
    """ "en" when English function words outnumber French ones and those of the other
    languages newsbot knows no framing for, else "fr" (the default framing): a German
    question is not English because it says "Putin"."""
    words = _WORD.findall(text.lower())
    folded = [_fold(w) for w in words]
    english = sum(w in _EN for w in words)
    french = sum(w in _FR or f in _FR for w, f in zip(words, folded, strict=True))
    # Names are written the English way in several languages: only function words tell.
    function_words = english - sum(w in _EN_NAMES for w in words)
    other = sum(f in _OTHER for f in folded)
    return "en" if english > french and function_words > other else "fr"


def detect_language_or(text: str, default: str) -> str:
    """`detect_language(text)`, or `default` when `text` has no English or French function
    word to tell by ("What's his job?" after an English question stays English)."""
    words = _WORD.findall(text.lower())
    if not any(w in _EN or w in _FR or _fold(w) in _FR for w in words):
        return default
    return detect_language(text)


def decode_input_line(raw: bytes) -> tuple[str, bool]:
    """A line of standard input as text, undecodable bytes replaced by U+FFFD; also
    whether any were (the caller warns, answers anyway and exits non-zero)."""
    try:
        return raw.decode("utf-8").rstrip("\r\n"), False
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="replace").rstrip("\r\n"), True


def has_undecodable(text: str) -> bool:
    """Whether text from argv held bytes that were not UTF-8 (lone surrogates)."""
    return _SURROGATE.search(text) is not None
