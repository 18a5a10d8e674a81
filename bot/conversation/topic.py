"""What an earlier turn was about: its subject, its place, the names it joined, its words."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.conversation.facts import LanguageFacts, language_facts, lower_tokens, strip_elision
from bot.conversation.names import bare_name, names_in, places_in
from bot.conversation.turn import Turn
from bot.question import detect_language

INVERTED = re.compile(
    r"\b((?:[sln][’']|y\s+|en\s+)?[\w]+)-(t-)?(il|elle|ils|elles)\b", re.IGNORECASE
)


# "Qui est X ?": the pronouns that follow stand for X.
IDENTITY = frozenset({"qui", "who"})


WHICH = frozenset({"quel", "quelle", "quels", "quelles", "which", "what"})


@dataclass(frozen=True)
class Topic:
    subject: str | None  # a person, organisation or country the pronouns can stand for
    feminine: bool | None
    place: str | None  # "au Vietnam": what "y" / "there" stands for
    group: str | None  # "Poutine et Kim": what a plural pronoun stands for
    body: str  # the earlier question without its question words: "les frontières … fermées"
    # Other things a pronoun may stand for, with their gender (None: either): the
    # question's other names, then its noun phrases ("la tribune").
    others: tuple[tuple[str, bool | None], ...] = ()


def topic_of(turn: Turn, facts: LanguageFacts) -> Topic:
    """What an earlier turn was about: its subject, its place, its remaining words."""
    question = turn.understood
    lowered = lower_tokens(question)
    names = names_in(question, facts)
    subject: str | None = None
    feminine: bool | None = None
    # "Qui est X ?" / "Who is X?": the pronouns that follow stand for X, role or name.
    if len(lowered) > 2 and lowered[0] in IDENTITY and lowered[1] in facts.identity_verbs:
        rest = question_body(question, facts)
        if rest and (names or len(rest.split()) <= 6):
            subject = rest
    if subject is None and turn.quotes and lowered and lowered[0] in {"qui", "who"}:
        # "Qui l'a annoncé ?" → "le Kremlin": its answer names the one pronouns stand for.
        asked = {bare_name(n, facts).lower() for n in names}
        new = [n for q in turn.quotes for n in names_in(q, quote_facts(q))]
        fresh = [n for n in new if bare_name(n, facts).lower() not in asked]
        subject = fresh[0] if fresh else None
    if subject is None and names:
        subject = names[0]
    if subject is not None:
        match = INVERTED.search(question)
        if match and not question.lower().startswith(("qui", "who")):
            feminine = match.group(3).lower() in facts.feminine_pronouns
    bare = list(dict.fromkeys(bare_name(n, facts) for n in names))
    group = f"{bare[0]} {facts.and_word} {bare[1]}" if len(bare) >= 2 and facts.and_word else None
    others = [(n, None) for n in bare if n != subject and n != bare_name(subject or "", facts)]
    return Topic(
        others=tuple([*others, *noun_phrases(question.split(" — ")[0], facts)]),
        subject=subject,
        feminine=feminine,
        place=_place_of(turn, facts),
        group=group,
        body=question_body(question, facts),
    )


def _place_of(turn: Turn, facts: LanguageFacts) -> str | None:
    """The place "y" stands for: the last one the first quote naming a new place named (the
    news the answer gave), else the question's last, else the answer's last."""
    said = turn.understood.lower()
    for quote in turn.quotes:
        fresh = [
            p
            for p in places_in(quote, quote_facts(quote))
            if bare_name(p.split(" ", 1)[-1], facts).lower() not in said
        ]
        if fresh:
            return fresh[-1]
    asked = places_in(turn.understood, facts)
    quoted = [p for quote in turn.quotes for p in places_in(quote, quote_facts(quote))]
    if asked:
        return asked[-1]
    return quoted[-1] if quoted else None


def quote_facts(quote: str) -> LanguageFacts:
    """The facts of the language a quote is written in: an English question's answer quotes
    French articles ("Invitation de Kim Jong-un" is one heading, not a name "Invitation")."""
    return language_facts(detect_language(quote))


def noun_phrases(text: str, facts: LanguageFacts) -> list[tuple[str, bool | None]]:
    """The noun phrases a determiner opens ("sa tribune" → "la tribune", feminine), with a
    name that completes them ("la visite de Poutine")."""
    tokens = text.replace("’", "'").split()
    out: list[tuple[str, bool | None]] = []
    for i, token in enumerate(tokens[:-1]):
        gender = facts.noun_determiners.get(token.lower())
        noun = tokens[i + 1].strip("?,;:.")
        if gender is None or not noun.isalpha() or not noun.islower() or len(noun) < 3:
            continue
        if noun in facts.question_words or noun in facts.copulas or "-" in tokens[i + 1]:
            continue
        article = facts.gender_articles.get(gender, token.lower())
        if article.endswith(("a", "e")) and noun[0] in "aeiouyéèêh" and facts.elided_article:
            phrase = f"{facts.elided_article}{noun}"
        else:
            phrase = f"{article} {noun}"
        rest = tokens[i + 2 : i + 4]
        if len(rest) == 2 and rest[0].lower() in facts.name_joiners and rest[1][:1].isupper():
            phrase = f"{phrase} {rest[0]} {rest[1].strip('?,;:.')}"
        out.append((phrase, {"f": True, "m": False}.get(gender)))
    return list(dict.fromkeys(out))


def question_body(question: str, facts: LanguageFacts) -> str:
    """The question without its question words, copula, inverted pronoun and mark."""
    if " — " in question:  # a rewritten follow-up: the topic it carried
        return question.split(" — ", 1)[1].strip().rstrip("?").strip()
    text = INVERTED.sub(lambda m: m.group(1), question).strip().rstrip("?").strip()
    tokens = text.split()
    if len(tokens) > 2 and tokens[0].lower() in WHICH and tokens[1][:1].islower():
        del tokens[:2]  # "Quelles républiques la Corée du Nord …": the asked noun goes
    while tokens and (
        strip_elision(tokens[0].lower()) in facts.question_words
        or tokens[0].lower() in facts.copulas
        or tokens[0].lower() in facts.openers
    ):
        tokens.pop(0)
    return " ".join(tokens)
