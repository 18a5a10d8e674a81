"""Whether a question leans on an earlier turn, and by what: a pronoun, an opener, too few words.

A question that points back at nothing is a new topic and is searched as typed, so
nothing of the earlier turns leaks into it.
"""

from __future__ import annotations

import re

from bot.conversation.facts import (
    LanguageFacts,
    has_back_reference,
    hold_impersonal,
    language_facts,
    lower_tokens,
    strip_elision,
)
from bot.conversation.names import names_in
from bot.conversation.topic import INVERTED, WHICH


def pronoun_subject(text: str, facts: LanguageFacts) -> re.Match[str] | None:
    """The inverted pronoun that is the subject ("Comment a-t-il …"), not one that resumes
    a subject already named ("Comment l'accord est-il …")."""
    match = INVERTED.search(text)
    if match is None:
        return None
    before = text[: match.start()].split()
    while before and (
        strip_elision(before[0].lower()) in facts.question_words
        or before[0].lower() in facts.openers
        or before[0] in {",", "—"}
        or before[0].lower() in facts.question_prepositions
    ):
        was_which = before.pop(0).lower() in WHICH
        if was_which and before and before[0][:1].islower():
            before.pop(0)  # "Quels pays a-t-il …"
    if before and before[0].lower().rstrip(",") in facts.stressed_pronouns:
        before.pop(0)
    leftover = [w for w in before if w.lower().rstrip(",") not in {"selon", "en", "y", "à"}]
    return None if leftover else match


def refers_back(question: str, language: str) -> bool:
    """Whether `question` leans on an earlier turn: a pronoun, an opener, or too few words."""
    return bool(follow_up_cues(question, language))


def follow_up_cues(question: str, language: str) -> frozenset[str]:
    """What in `question` points back at an earlier turn: "opener", "subject" (a subject
    pronoun), "pronoun" (any other), "clitic", "short"; empty for a standalone question."""
    facts = language_facts(language)
    opens = opens_with(question.lower().replace("’", "'"), facts)
    # The "il" of "il y a" or "fera-t-il" stands for no one.
    question, impersonal = hold_impersonal(question, facts)
    tokens = [t for t in lower_tokens(question) if re.match(r"\w", t)]
    cues: set[str] = {"opener"} if opens else set()
    if has_back_reference(question, facts):
        cues.add("pronoun")  # "la dernière fois", "back then"
    elif impersonal:  # "Quel temps fait-il à Séoul ce week-end ?" stands alone
        return frozenset(cues)
    # A possessive with a name in the question is that name's ("la Russie … son intervention").
    possessives = facts.possessives if not names_in(question, facts) else frozenset()
    pronouns = (
        facts.stressed_pronouns
        | possessives
        | facts.place_pronouns
        | (facts.topic_pronouns - facts.articles)
    )
    if any(t in pronouns for t in tokens):
        cues.add("pronoun")
    if any(t in facts.subject_pronouns for t in tokens) or pronoun_subject(question, facts):
        cues.add("subject")
    if object_clitic(tokens, facts):
        cues.add("clitic")
    if not cues and _too_short(tokens, question, facts):
        cues.add("short")
    return frozenset(cues)


def _too_short(tokens: list[str], question: str, facts: LanguageFacts) -> bool:
    content = [
        t
        for t in tokens
        if t not in facts.question_words
        and t not in facts.copulas
        and t not in facts.vague
        and t not in facts.question_prepositions
        and len(t) > 2
    ]
    return len(content) == 0 or (len(content) == 1 and not names_in(question, facts))


def opens_with(lowered_text: str, facts: LanguageFacts) -> bool:
    """Whether an opener starts the text, after any interjection ("OK. And …")."""
    words = lowered_text.split()
    while words and words[0].strip(".,;:!") in facts.interjections:
        words.pop(0)
    rest = " ".join(words)
    return any(re.match(rf"{re.escape(o)}\b", rest) for o in facts.openers)


def object_clitic(tokens: list[str], facts: LanguageFacts) -> bool:
    """An article-like word right before a verb form is a pronoun ("qui l'a annoncé")."""
    for i, token in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        if token in facts.verb_clitics and (nxt in facts.copulas or "-" in nxt):
            return True
    return False
