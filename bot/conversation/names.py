"""Proper names and places in a question or a quoted sentence, read without a parser."""

from __future__ import annotations

import re

from bot.conversation.facts import LanguageFacts, word_tokens

# A capitalised word, possibly hyphenated ("Jong-un", "Choe Son-hui"), and the small words
# that join the parts of one name ("Corée du Nord", "Conseil de sécurité" stops at "sécurité").
_CAP = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w-]*$")


def names_in(text: str, facts: LanguageFacts) -> list[str]:
    """The proper names of `text`, in order, with the article that precedes them."""
    tokens = _possessives_apart(word_tokens(text))
    names: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        opens = i == 0 or tokens[i - 1] in {".", "?", "!", "«", '"', "“"}
        if (
            _CAP.match(token)
            and token.lower() not in facts.articles
            and not (opens and token.lower() in not_names(facts))
        ):
            j = i + 1
            while j < len(tokens):
                if _CAP.match(tokens[j]) and tokens[j].lower() not in facts.articles:
                    j += 1
                elif (
                    tokens[j].lower() in facts.name_joiners
                    and j + 1 < len(tokens)
                    and _CAP.match(tokens[j + 1])
                ):
                    j += 2
                else:
                    break
            name = " ".join(tokens[i:j])
            if i > 0 and tokens[i - 1].lower() in facts.articles:
                name = f"{tokens[i - 1].lower()} {name}"
            names.append(name)
            i = j
        else:
            i += 1
    return [_held_name(n, names, facts) for n in names]


def _possessives_apart(tokens: list[str]) -> list[str]:
    """ "Kirby's" → "Kirby", "'s": the name ends where its possessive mark starts."""
    out: list[str] = []
    for token in tokens:
        stem, mark, rest = token.rpartition("'")
        if mark and rest.lower() == "s" and _CAP.match(stem):
            out.extend([stem, "'s"])
        else:
            out.append(token)
    return out


def _held_name(name: str, names: list[str], facts: LanguageFacts) -> str:
    """A heading's words before a name it holds ("Invitation de Kim Jong-un") give way to
    that name when the text names it alone too."""
    words = name.split()
    bare = {n for n in names if n != name}
    for k, word in enumerate(words[:-1]):
        tail = " ".join(words[k + 1 :])
        if word.lower() in facts.name_joiners and tail in bare:
            return tail
    return name


def not_names(facts: LanguageFacts) -> frozenset[str]:
    """Small words that are capitalised only because they open a sentence."""
    return (
        facts.question_words
        | facts.articles
        | facts.verb_clitics
        | facts.subject_pronouns
        | facts.place_prepositions
        | facts.question_prepositions
        | facts.interjections
        | facts.copulas  # "Did any other country …", "Est-ce …"
        | facts.possessives
        | facts.topic_pronouns
        | frozenset(o for o in facts.openers if " " not in o)
    )


def bare_name(name: str, facts: LanguageFacts) -> str:
    head, _, rest = name.partition(" ")
    return rest if head in facts.articles and rest else name


def places_in(text: str, facts: LanguageFacts) -> list[str]:
    out = []
    tokens = word_tokens(text)
    for name in names_in(text, facts):
        first = name.split()[0]
        for i, token in enumerate(tokens):
            if token == first and i > 0 and tokens[i - 1].lower() in facts.place_prepositions:
                out.append(f"{tokens[i - 1].lower()} {bare_name(name, facts)}")
                break
    return out
