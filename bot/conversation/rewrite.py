"""A follow-up rewritten as a standalone question from what the earlier turns were about.

The subject pronoun becomes the earlier subject (for a who-question, the name its answer
gave), "y" the place the answer named, a plural pronoun the names the question joined; what
still points back takes the earlier question's topic. Other readings (other antecedents of
the pronoun) follow the preferred one, for the answer's confidence to choose.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from bot.conversation.detect import follow_up_cues, object_clitic, pronoun_subject
from bot.conversation.facts import (
    LanguageFacts,
    has_back_reference,
    hold_impersonal,
    language_facts,
    lower_tokens,
    release,
    strip_elision,
)
from bot.conversation.names import bare_name
from bot.conversation.topic import Topic, topic_of
from bot.conversation.turn import Turn
from bot.question import detect_language, detect_language_or

# Each reading costs one answer: the rewrite, it without the carried topic, two others.
MAX_READINGS = 4


def rewrite_followup(question: str, turns: Sequence[Turn]) -> str:
    """`question` as a standalone question, read in the light of the earlier `turns`."""
    return rewrite_readings(question, turns)[0]


def rewrite_readings(question: str, turns: Sequence[Turn]) -> tuple[str, ...]:
    """The readings of `question` as a standalone question, the preferred one first: the
    rewrite; when it carried the earlier topic after a dash, the rewrite without it; and
    its subject pronoun read as the earlier question's other names and noun phrases. The
    engine answers each and keeps one (`choose.choose_reading`)."""
    text = question.strip()
    if not turns or not text:
        return (text,)
    antecedent = _antecedent(turns)
    language = detect_language_or(text, detect_language(antecedent.question))
    facts = language_facts(language)
    cues = follow_up_cues(text, language)
    if not cues:
        return (text,)
    mark = "?" if language == "en" else " ?"
    topic = _with_earlier_subject(topic_of(antecedent, facts), turns, antecedent, facts)
    held_text, held = hold_impersonal(text, facts)
    resolved, unresolved = _resolve(_dislocated(held_text, facts), topic, facts)
    resolved = release(resolved, held).rstrip().rstrip("?").rstrip()
    unresolved = unresolved or has_back_reference(text, facts)
    if not _has_content(resolved, facts) and topic.body:
        # "Pourquoi ?" → "Pourquoi les frontières … ont été fermées ?"
        body = topic.body
        if body.split()[0].lower() in facts.articles:
            body = body[:1].lower() + body[1:]
        return (f"{resolved} {body}{mark}",)
    if unresolved and topic.body and topic.body.lower() not in resolved.lower():
        readings = [f"{resolved} — {topic.body}{mark}", f"{resolved}{mark}"]
    else:
        readings = [f"{resolved}{mark}"]
    if "subject" in cues:
        others = _other_readings(held_text, topic, facts, mark)
        readings.extend(release(other, held) for other in others)
    return tuple(dict.fromkeys(readings))[:MAX_READINGS]


def _other_readings(text: str, topic: Topic, facts: LanguageFacts, mark: str) -> list[str]:
    """The follow-up with its subject pronoun standing for each other thing the earlier
    question named, of the pronoun's gender ("Elle …" → "la tribune …", not "Poutine")."""
    pronouns = {t for t in lower_tokens(text) if t in facts.subject_pronouns}
    inverted = pronoun_subject(text, facts)
    if inverted is not None:
        pronouns.add(inverted.group(3).lower())
    if topic.group and pronouns and pronouns <= facts.plural_pronouns:
        return []  # "ils" after "Poutine et Kim": the two, not one of them
    feminine = bool(pronouns & facts.feminine_pronouns) if pronouns else None
    out = []
    for other, gender in topic.others:
        if gender is not None and feminine is not None and gender != feminine:
            continue
        alternative = replace(topic, subject=other, feminine=gender, group=None)
        resolved, _ = _resolve(_dislocated(text, facts), alternative, facts)
        out.append(f"{resolved.rstrip().rstrip('?').rstrip()}{mark}")
    return out


def _with_earlier_subject(
    topic: Topic, turns: Sequence[Turn], antecedent: Turn, facts: LanguageFacts
) -> Topic:
    """A chain keeps its subject: when the turn leaned on named no one ("la tribune a été
    publiée où ?"), the subject is the one of the turn before it."""
    if topic.subject is not None:
        return topic
    earlier = list(turns)
    while earlier and earlier[-1] is not antecedent:
        earlier.pop()
    for turn in reversed(earlier[:-1]):
        before = topic_of(turn, facts)
        if before.subject is not None:
            return replace(topic, subject=before.subject, feminine=before.feminine)
    return topic


def _dislocated(text: str, facts: LanguageFacts) -> str:
    """ "Cet accord, il est dirigé …" → "Cet accord est dirigé …": a noun phrase set before
    a comma is what the subject pronoun after it stands for."""
    head, sep, rest = text.partition(",")
    words, held = rest.split(), head.split()
    if not sep:
        return _resumed_name(text, facts)
    if not words or not held or words[0].lower() not in facts.subject_pronouns:
        return text
    # Not a pronoun ("Et elle, …"), nor a clause ("Selon lui, …", "Pourquoi, …"): a short
    # noun phrase.
    pointers = facts.stressed_pronouns | facts.subject_pronouns
    if len(held) > 5 or any(
        w.lower() in pointers or strip_elision(w.lower()) in facts.question_words for w in held
    ):
        return text
    return f"{head} {' '.join(words[1:])}"


def _resumed_name(text: str, facts: LanguageFacts) -> str:
    """ "Et Kim il en dit quoi ?" → "Et Kim en dit quoi ?": a name set right before a
    subject pronoun, without a comma, is its subject."""
    words = text.split()
    start = 0
    while start < len(words) and (
        words[start].lower().strip(".,;:!") in facts.interjections
        or words[start].lower() in facts.openers
    ):
        start += 1
    end = start
    while end < len(words) and words[end][:1].isupper():
        end += 1
    name = words[start:end]
    if (
        not 1 <= len(name) <= 3
        or end >= len(words)
        or words[end].lower() not in facts.subject_pronouns
        or any(strip_elision(w.lower()) in facts.question_words for w in name)
    ):
        return text
    return " ".join(words[:end] + words[end + 1 :])


def _antecedent(turns: Sequence[Turn]) -> Turn:
    """The latest turn a follow-up can lean on: not a refused question that stood alone."""
    for turn in reversed(turns):
        if not (turn.abstained and not turn.follow_up):
            return turn
    return turns[-1]


def _has_content(text: str, facts: LanguageFacts) -> bool:
    tokens = [t for t in lower_tokens(text) if re.match(r"\w", t)]
    return any(
        t not in facts.question_words
        and t not in facts.copulas
        and t not in facts.vague
        and t not in facts.openers
        and len(t) > 2
        for t in tokens
    )


def _resolve(text: str, topic: Topic, facts: LanguageFacts) -> tuple[str, bool]:
    """Replace what the topic can stand for; say whether something still points back."""
    unresolved = False
    # An interjection goes ("OK. And …"), then the opener: "Et où va-t-il ?" → "où va-t-il ?".
    words = text.split()
    while len(words) > 1 and words[0].lower().strip(".,;:!") in facts.interjections:
        words.pop(0)
    text = " ".join(words)
    for opener in sorted(facts.openers, key=len, reverse=True):
        m = re.match(rf"{re.escape(opener)}\b[\s,]*", text, re.IGNORECASE)
        if m:
            if opener in facts.kept_openers:
                unresolved = True
                break
            text = text[m.end() :]
            text = text[:1].upper() + text[1:]
            break
    # "y" / "there" → the place the earlier turn named.
    for pronoun in facts.place_pronouns:
        pattern = rf"(?<![\w-]){re.escape(pronoun)}\b\s*"  # "qu'y" too
        if re.search(pattern, text, re.IGNORECASE):
            text = re.sub(pattern, "", text, count=1, flags=re.IGNORECASE)
            text = text.rstrip().rstrip("?").rstrip()
            text = f"{text} {topic.place or facts.place_fallback}"
            unresolved = unresolved or topic.place is None
    subject = topic.subject
    inverted = pronoun_subject(text, facts)
    pronouns = {t for t in lower_tokens(text) if t in facts.subject_pronouns}
    if inverted is not None:
        pronouns.add(inverted.group(3).lower())
    if topic.group and pronouns and pronouns <= facts.plural_pronouns:
        subject = topic.group  # "Et qu'ont-ils signé ?" after "… entre Poutine et Kim …"
    pronoun_gender_ok = True
    if inverted is not None and topic.feminine is not None:
        pronoun_gender_ok = (inverted.group(3).lower() in facts.feminine_pronouns) == topic.feminine
    placed = False
    if subject is not None and pronoun_gender_ok:
        text, placed = _put_subject(text, subject, facts)
        pointers = facts.subject_pronouns | facts.stressed_pronouns
        if any(t in pointers for t in lower_tokens(text)):
            unresolved = True  # "what did Putin promise in it?": "it" is still the earlier topic
    elif inverted is not None or any(
        t in facts.subject_pronouns | facts.stressed_pronouns for t in lower_tokens(text)
    ):
        unresolved = True
    if not placed and not _put_place(text, topic):
        # Nothing stood for the earlier turn ("Et la précédente, c'était en quelle année ?",
        # "Pour bloquer quoi ?"): its topic carries.
        unresolved = True
    lowered = lower_tokens(text)
    if any(t in facts.topic_pronouns - facts.articles for t in lowered) or object_clitic(
        lowered, facts
    ):
        unresolved = True
    return text, unresolved


def _put_place(text: str, topic: Topic) -> bool:
    return topic.place is not None and topic.place in text


def _put_subject(text: str, subject: str, facts: LanguageFacts) -> tuple[str, bool]:
    """Put `subject` where the pronoun stood; False when no pronoun was found."""
    placed = False
    lowered = text.lower().replace("’", "'")
    stressed = [
        p for p in facts.stressed_pronouns if re.search(rf"(?<![\w'’-]){re.escape(p)}\b", lowered)
    ]
    inverted = None if stressed else pronoun_subject(text, facts)
    if inverted is not None:
        head = text[: inverted.start()].strip()
        if facts.que_form and strip_elision(head.lower()) in facts.que_words:
            # "Qu'a-t-il déclaré ?" → "Qu'est-ce qu'Iouri Ouchakov a déclaré ?"
            form = facts.que_form_vowel if subject[:1].lower() in "aeiouyéèh" else facts.que_form
            form = form[:1].upper() + form[1:]
            joiner = "" if form.endswith("'") else " "
            rest = text[inverted.end() :]
            text = f"{form}{joiner}{subject} {inverted.group(1)}{rest}"
        else:
            # Complex inversion: "Comment a-t-il décrit …" → "Comment X a-t-il décrit …".
            text = f"{text[: inverted.start()]}{subject} {text[inverted.start() :]}"
        placed = True
    if not placed:
        # The first pronoun in the text, stressed ones before subject ones: "what did he
        # promise in it?" puts the subject for "he".
        for pronouns in (stressed, facts.subject_pronouns):
            found = _first_of(pronouns, text)
            if found is not None:
                text = text[: found[0]] + subject + text[found[1] :]
                placed = True
                break
    for pronoun in facts.possessives if facts.possessive_form else ():
        pattern = rf"(?<![\w'’-]){re.escape(pronoun)}\b"
        if re.search(pattern, text, re.IGNORECASE):
            form = facts.possessive_form.format(name=bare_name(subject, facts))
            text = re.sub(pattern, form, text, count=1, flags=re.I)
            placed = True
    return text, placed


def _first_of(pronouns: Sequence[str] | frozenset[str], text: str) -> tuple[int, int] | None:
    """Where the first of `pronouns` stands in `text` (whole words, any case), if any."""
    spans = [
        m.span()
        for p in pronouns
        for m in [re.search(rf"(?<![\w'’-]){re.escape(p)}\b", text, re.IGNORECASE)]
        if m is not None
    ]
    return min(spans) if spans else None
