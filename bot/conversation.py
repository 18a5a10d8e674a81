"""Follow-ups → standalone questions, and the bounded memory of conversations.

Pure logic: no Discord, no index. A follow-up ("Qu'a-t-il déclaré ?", "Pourquoi ?") is
rewritten from what the earlier turns were about: the subject of the previous question
(or, for a who-question, the name its answer gave), the place its answer named, and the
topic left once the question words are taken away. A question that points back at
nothing (no pronoun, no opener, and words enough of its own) is a new topic and is
returned unchanged, so nothing of the earlier turns leaks into it.
"""

from __future__ import annotations

import re
import threading
import time
import tomllib
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from bot.question import detect_language

if TYPE_CHECKING:
    from bot.settings import Settings

_WORD = re.compile(r"[\w’'-]+|[^\w\s]", re.UNICODE)
# A capitalised word, possibly hyphenated ("Jong-un", "Choe Son-hui"), and the small words
# that join the parts of one name ("Corée du Nord", "Conseil de sécurité" stops at "sécurité").
_CAP = re.compile(r"^[A-ZÀ-ÖØ-Þ][\w-]*$")
_INVERTED = re.compile(
    r"\b((?:[sln][’']|y\s+|en\s+)?[\w]+)-(t-)?(il|elle|ils|elles)\b", re.IGNORECASE
)


# "Qui est X ?": the pronouns that follow stand for X.
_IDENTITY = frozenset({"qui", "who"})
_WHICH = frozenset({"quel", "quelle", "quels", "quelles", "which", "what"})


@dataclass(frozen=True)
class Turn:
    """One question of a conversation, as understood, and the sentences its answer quoted."""

    question: str
    understood: str
    quotes: tuple[str, ...] = ()
    abstained: bool = False
    follow_up: bool = False


@dataclass(frozen=True)
class _Facts:
    subject_pronouns: frozenset[str]
    feminine_pronouns: frozenset[str]
    stressed_pronouns: frozenset[str]
    possessives: frozenset[str]
    place_pronouns: frozenset[str]
    topic_pronouns: frozenset[str]
    openers: tuple[str, ...]
    impersonal: tuple[str, ...]
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


@cache
def language_facts(language: str) -> _Facts:
    """bot/data/conversation.toml for `language` ("fr" or "en"; French otherwise)."""
    text = resources.files("bot.data").joinpath("conversation.toml").read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text)
    raw = data.get(language, data["fr"])

    def words(key: str) -> frozenset[str]:
        return frozenset(raw.get(key, []))

    return _Facts(
        subject_pronouns=words("subject_pronouns"),
        feminine_pronouns=words("feminine_pronouns"),
        stressed_pronouns=words("stressed_pronouns"),
        possessives=words("possessives"),
        place_pronouns=words("place_pronouns"),
        topic_pronouns=words("topic_pronouns"),
        openers=tuple(raw.get("openers", [])),
        impersonal=tuple(raw.get("impersonal", [])),
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
    )


def _tokens(text: str) -> list[str]:
    return _WORD.findall(text.replace("’", "'"))


def _lower_tokens(text: str) -> list[str]:
    """Lower-case words, elided articles and pronouns split off ("l'a" → "l'", "a")."""
    out: list[str] = []
    for token in _tokens(text.lower()):
        head, sep, rest = token.partition("'")
        if sep and rest and len(head) <= 3:
            out.extend([head + "'", rest])
        else:
            out.append(token)
    return out


def names_in(text: str, facts: _Facts) -> list[str]:
    """The proper names of `text`, in order, with the article that precedes them."""
    tokens = _tokens(text)
    names: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        opens = i == 0 or tokens[i - 1] in {".", "?", "!", "«", '"', "“"}
        if _CAP.match(token) and not (opens and token.lower() in _not_names(facts)):
            j = i + 1
            while j < len(tokens):
                if _CAP.match(tokens[j]):
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
    return names


def _not_names(facts: _Facts) -> frozenset[str]:
    """Small words that are capitalised only because they open a sentence."""
    return (
        facts.question_words
        | facts.articles
        | facts.verb_clitics
        | facts.subject_pronouns
        | facts.place_prepositions
        | facts.topic_pronouns
        | frozenset(o for o in facts.openers if " " not in o)
    )


def _bare(name: str, facts: _Facts) -> str:
    head, _, rest = name.partition(" ")
    return rest if head in facts.articles and rest else name


@dataclass(frozen=True)
class _Topic:
    subject: str | None  # a person, organisation or country the pronouns can stand for
    feminine: bool | None
    place: str | None  # "au Vietnam": what "y" / "there" stands for
    body: str  # the earlier question without its question words: "les frontières … fermées"


def _topic_of(turn: Turn, facts: _Facts) -> _Topic:
    """What an earlier turn was about: its subject, its place, its remaining words."""
    question = turn.understood
    lowered = _lower_tokens(question)
    names = names_in(question, facts)
    subject: str | None = None
    feminine: bool | None = None
    # "Qui est X ?" / "Who is X?": the pronouns that follow stand for X, role or name.
    if len(lowered) > 2 and lowered[0] in _IDENTITY and lowered[1] in facts.identity_verbs:
        rest = _body(question, facts)
        if rest and (names or len(rest.split()) <= 6):
            subject = rest
    if subject is None and turn.quotes and lowered and lowered[0] in {"qui", "who"}:
        # "Qui l'a annoncé ?" → "le Kremlin": its answer names the one pronouns stand for.
        asked = {_bare(n, facts).lower() for n in names}
        new = [n for q in turn.quotes for n in names_in(q, facts)]
        fresh = [n for n in new if _bare(n, facts).lower() not in asked]
        subject = fresh[0] if fresh else None
    if subject is None and names:
        subject = names[0]
    if subject is not None:
        match = _INVERTED.search(question)
        if match and not question.lower().startswith(("qui", "who")):
            feminine = match.group(3).lower() in facts.feminine_pronouns
    place = None
    for source in (*turn.quotes, question):
        found = _places_in(source, facts)
        if found:
            place = found[-1]
    return _Topic(subject, feminine, place, _body(question, facts))


def _places_in(text: str, facts: _Facts) -> list[str]:
    out = []
    tokens = _tokens(text)
    for name in names_in(text, facts):
        first = name.split()[0]
        for i, token in enumerate(tokens):
            if token == first and i > 0 and tokens[i - 1].lower() in facts.place_prepositions:
                out.append(f"{tokens[i - 1].lower()} {_bare(name, facts)}")
                break
    return out


def _body(question: str, facts: _Facts) -> str:
    """The question without its question words, copula, inverted pronoun and mark."""
    if " — " in question:  # a rewritten follow-up: the topic it carried
        return question.split(" — ", 1)[1].strip().rstrip("?").strip()
    text = _INVERTED.sub(lambda m: m.group(1), question).strip().rstrip("?").strip()
    tokens = text.split()
    if len(tokens) > 2 and tokens[0].lower() in _WHICH and tokens[1][:1].islower():
        del tokens[:2]  # "Quelles républiques la Corée du Nord …": the asked noun goes
    while tokens and (
        _strip_elision(tokens[0].lower()) in facts.question_words
        or tokens[0].lower() in facts.copulas
        or tokens[0].lower() in facts.openers
    ):
        tokens.pop(0)
    return " ".join(tokens)


def _strip_elision(token: str) -> str:
    token = token.replace("’", "'")
    return token[: token.index("'") + 1] if "'" in token[:4] else token


def _pronoun_subject(text: str, facts: _Facts) -> re.Match[str] | None:
    """The inverted pronoun that is the subject ("Comment a-t-il …"), not one that resumes
    a subject already named ("Comment l'accord est-il …")."""
    match = _INVERTED.search(text)
    if match is None:
        return None
    before = text[: match.start()].split()
    while before and (
        _strip_elision(before[0].lower()) in facts.question_words
        or before[0].lower() in facts.openers
        or before[0] in {",", "—"}
        or before[0].lower() in facts.question_prepositions
    ):
        was_which = before.pop(0).lower() in _WHICH
        if was_which and before and before[0][:1].islower():
            before.pop(0)  # "Quels pays a-t-il …"
    if before and before[0].lower().rstrip(",") in facts.stressed_pronouns:
        before.pop(0)
    leftover = [w for w in before if w.lower().rstrip(",") not in {"selon", "en", "y", "à"}]
    return None if leftover else match


def refers_back(question: str, language: str) -> bool:
    """Whether `question` leans on an earlier turn: a pronoun, an opener, or too few words."""
    facts = language_facts(language)
    lowered_text = question.lower().replace("’", "'")
    if any(phrase in lowered_text for phrase in facts.impersonal):
        return _opens_with(lowered_text, facts)
    tokens = [t for t in _lower_tokens(question) if re.match(r"\w", t)]
    if _opens_with(lowered_text, facts):
        return True
    pronouns = (
        facts.subject_pronouns
        | facts.stressed_pronouns
        | facts.possessives
        | facts.place_pronouns
        | (facts.topic_pronouns - facts.articles)
    )
    if any(t in pronouns for t in tokens) or _pronoun_subject(question, facts):
        return True
    if _object_clitic(tokens, facts):
        return True
    content = [
        t
        for t in tokens
        if t not in facts.question_words
        and t not in facts.copulas
        and t not in facts.vague
        and len(t) > 2
    ]
    return len(content) == 0 or (len(content) == 1 and not names_in(question, facts))


def _opens_with(lowered_text: str, facts: _Facts) -> bool:
    return any(re.match(rf"{re.escape(o)}\b", lowered_text) for o in facts.openers)


def _object_clitic(tokens: list[str], facts: _Facts) -> bool:
    """An article-like word right before a verb form is a pronoun ("qui l'a annoncé")."""
    for i, token in enumerate(tokens[:-1]):
        nxt = tokens[i + 1]
        if token in facts.verb_clitics and (nxt in facts.copulas or "-" in nxt):
            return True
    return False


def rewrite_followup(question: str, turns: Sequence[Turn]) -> str:
    """`question` as a standalone question, read in the light of the earlier `turns`."""
    text = question.strip()
    if not turns or not text:
        return text
    language = detect_language(text)
    facts = language_facts(language)
    if not refers_back(text, language):
        return text
    topic = _topic_of(_antecedent(turns), facts)
    resolved, unresolved = _resolve(text, topic, facts)
    resolved = resolved.rstrip().rstrip("?").rstrip()
    if not _has_content(resolved, facts) and topic.body:
        # "Pourquoi ?" → "Pourquoi les frontières … ont été fermées ?"
        body = topic.body
        if body.split()[0].lower() in facts.articles:
            body = body[:1].lower() + body[1:]
        resolved = f"{resolved} {body}"
    elif unresolved and topic.body and topic.body.lower() not in resolved.lower():
        resolved = f"{resolved} — {topic.body}"
    return f"{resolved} ?" if language != "en" else f"{resolved}?"


def _antecedent(turns: Sequence[Turn]) -> Turn:
    """The latest turn a follow-up can lean on: not a refused question that stood alone."""
    for turn in reversed(turns):
        if not (turn.abstained and not turn.follow_up):
            return turn
    return turns[-1]


def _has_content(text: str, facts: _Facts) -> bool:
    tokens = [t for t in _lower_tokens(text) if re.match(r"\w", t)]
    return any(
        t not in facts.question_words
        and t not in facts.copulas
        and t not in facts.vague
        and t not in facts.openers
        and len(t) > 2
        for t in tokens
    )


def _resolve(text: str, topic: _Topic, facts: _Facts) -> tuple[str, bool]:
    """Replace what the topic can stand for; say whether something still points back."""
    unresolved = opened = False
    # The opener goes: "Et où va-t-il ?" → "où va-t-il ?".
    for opener in sorted(facts.openers, key=len, reverse=True):
        m = re.match(rf"{re.escape(opener)}\b[\s,]*", text, re.IGNORECASE)
        if m:
            if opener in {"lequel", "laquelle", "lesquels", "lesquelles", "which one"}:
                unresolved = True
                break
            text = text[m.end() :]
            text = text[:1].upper() + text[1:]
            opened = True
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
    inverted = _pronoun_subject(text, facts)
    pronoun_gender_ok = True
    if inverted is not None and topic.feminine is not None:
        pronoun_gender_ok = (inverted.group(3).lower() in facts.feminine_pronouns) == topic.feminine
    placed = False
    if subject is not None and pronoun_gender_ok:
        text, placed = _put_subject(text, subject, facts)
    elif inverted is not None or any(
        t in facts.subject_pronouns | facts.stressed_pronouns for t in _lower_tokens(text)
    ):
        unresolved = True
    if opened and not placed and topic.place is None:
        unresolved = True  # "Et les deux dirigeants, que feront-ils ?": the topic carries
    lowered = _lower_tokens(text)
    if any(t in facts.topic_pronouns - facts.articles for t in lowered) or _object_clitic(
        lowered, facts
    ):
        unresolved = True
    return text, unresolved


def _put_subject(text: str, subject: str, facts: _Facts) -> tuple[str, bool]:
    """Put `subject` where the pronoun stood; False when no pronoun was found."""
    placed = False
    lowered = text.lower().replace("’", "'")
    stressed = [
        p for p in facts.stressed_pronouns if re.search(rf"(?<![\w'’-]){re.escape(p)}\b", lowered)
    ]
    inverted = None if stressed else _pronoun_subject(text, facts)
    if inverted is not None:
        head = text[: inverted.start()].strip()
        if facts.que_form and _strip_elision(head.lower()) in facts.que_words:
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
    for pronoun in [*stressed, *sorted(facts.subject_pronouns, key=len)]:
        pattern = rf"(?<![\w'’-]){re.escape(pronoun)}\b"
        if not placed and re.search(pattern, lowered):
            text = re.sub(pattern, subject, text, count=1, flags=re.IGNORECASE)
            placed = True
    for pronoun in facts.possessives:
        pattern = rf"(?<![\w'’-]){re.escape(pronoun)}\b"
        if re.search(pattern, text, re.IGNORECASE):
            text = re.sub(pattern, f"{_bare(subject, facts)}'s", text, count=1, flags=re.I)
            placed = True
    return text, placed


class Conversation:
    """The last `max_turns` turns of one conversation."""

    def __init__(self, max_turns: int) -> None:
        self.turns: deque[Turn] = deque(maxlen=max_turns)

    def understand(self, question: str) -> str:
        """`question` as a standalone question given this conversation's turns."""
        return rewrite_followup(question, list(self.turns))

    def add(self, turn: Turn) -> None:
        self.turns.append(turn)


class Conversations:
    """At most `max_conversations` conversations, each dropped after `idle_seconds` unused;
    the least recently used goes first when full. Thread-safe."""

    def __init__(
        self,
        *,
        max_turns: int,
        max_conversations: int,
        idle_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_turns = max_turns
        self.max_conversations = max_conversations
        self.idle_seconds = idle_seconds
        self._clock = clock
        self._held: OrderedDict[Hashable, tuple[float, Conversation]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Conversations:
        """The store bounded by NEWSBOT_CONVERSATION_TURNS, _MAX and _IDLE_SECONDS."""
        return cls(
            max_turns=settings.conversation_turns,
            max_conversations=settings.conversation_max,
            idle_seconds=settings.conversation_idle_seconds,
        )

    def __len__(self) -> int:
        return len(self._held)

    def get(self, key: Hashable) -> Conversation:
        """The conversation under `key`: the held one if still fresh, else a new one."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            held = self._held.pop(key, None)
            conversation = held[1] if held else Conversation(self.max_turns)
            self._held[key] = (now, conversation)
            while len(self._held) > self.max_conversations:
                self._held.popitem(last=False)
            return conversation

    def forget(self, key: Hashable) -> None:
        """Start `key` afresh (`:new`, `/ask new:true`)."""
        with self._lock:
            self._held.pop(key, None)

    def move(self, source: Hashable, target: Hashable) -> None:
        """Hold `source`'s conversation under `target` (a mention answered in a new thread)."""
        with self._lock:
            held = self._held.pop(source, None)
            if held is not None:
                self._held[target] = held

    def _expire(self, now: float) -> None:
        for key in [k for k, (used, _) in self._held.items() if now - used > self.idle_seconds]:
            del self._held[key]


def condense_messages(question: str, turns: Sequence[Turn], language: str) -> tuple[str, str]:
    """The (system, user) prompt from prompts/conversation.toml for a language model."""
    from bot.prompts import load_prompts

    table = load_prompts("conversation")
    texts = table.get(language, table["fr"])
    lines = []
    for turn in turns:
        lines.append(f"Q: {turn.understood}")
        if turn.quotes:
            lines.append(f"R: {' '.join(turn.quotes)}")
    history = "\n".join(lines)
    user = texts["user"].strip().format(history=history, question=question)
    return texts["system"].strip(), user


def checked_condensed(reply: str, question: str) -> str | None:
    """The model's standalone question, or None when it is not one question."""
    text = reply.strip().strip('"«» ').strip()
    if not text or "\n" in text or not text.endswith("?") or text.count("?") > 1:
        return None
    if len(text) > 3 * len(question) + 200:
        return None
    return text
