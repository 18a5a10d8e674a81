"""A deterministic French corpus of any size, recombined from the seed articles.

Seed sentences become templates whose names, places, dates and numbers are slots; a
`Variant` fills the slots consistently (one article tells one fictional story). Articles
are written as .txt files for the real build; at 100k-1M chunks the chunk texts are
made directly from the 2k-corpus chunks, the same way, without touching the disk.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from index.clean import matching_rule

# Seed entities by kind; short forms map to the full name whose last word they take.
_PEOPLE = (
    "Vladimir Poutine", "Kim Jong-un", "Kim Jong Un", "Kim Jong-il", "Iouri Ouchakov",
    "Yuri Ouchakov", "Jens Stoltenberg", "Dmitri Peskov", "Kurt Campbell", "John Kirby",
    "Sergueï Lavrov", "Andreï Belooussov", "Sergueï Narychkine", "Choe Son-hui",
    "Choe Son Hui", "Sidali Salim",
)  # fmt: skip
_SHORT_FORMS = {"Poutine": "Vladimir Poutine", "Ouchakov": "Iouri Ouchakov",
                "Stoltenberg": "Jens Stoltenberg"}  # fmt: skip
_SAME_PERSON = {"Kim Jong Un": "Kim Jong-un", "Yuri Ouchakov": "Iouri Ouchakov",
                "Choe Son Hui": "Choe Son-hui"}  # fmt: skip
_CITIES = ("Pyongyang", "Moscou", "Hanoï", "Séoul", "Kiev")
_COUNTRIES = ("Corée du Nord", "Corée du Sud", "Russie", "Vietnam", "Ukraine", "Chine", "Iran")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")  # fmt: skip
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

FIRST_NAMES = (
    "Claire", "Étienne", "Amélie", "Jérôme", "Hélène", "François", "Inès", "Loïc", "Zoé",
    "Noël", "Agnès", "Gaël", "Maëlle", "Thérèse", "Benoît", "Anaïs", "Raphaël", "Chloé",
    "Cédric", "Léa", "Mathieu", "Sophie", "Karim", "Yasmina", "Olivier", "Nadia", "Bruno",
    "Fatou", "Hugo", "Camille", "Aurélien", "Océane", "Jean-Baptiste", "Marie-Hélène",
)  # fmt: skip
LAST_NAMES = (
    "Dubois", "Lefèvre", "Moreau", "Girard", "Bonnet", "Mercier", "Fontaine", "Chevalier",
    "Rousseau", "Faure", "Gauthier", "Perrin", "Morel", "Brun", "Lemaître", "Benali",
    "Diallo", "Nguyen", "Kowalski", "Ferreira", "Roussel", "Marchand", "Duval", "Lacroix",
    "Béranger", "Carpentier", "Delacroix", "Ménard", "Picard", "Renaud", "N'Diaye", "Lévêque",
)  # fmt: skip
CITIES = (
    "Lyon", "Marseille", "Bordeaux", "Genève", "Bruxelles", "Montréal", "Dakar", "Abidjan",
    "Tunis", "Alger", "Rabat", "Liège", "Québec", "Nantes", "Strasbourg", "Lille", "Toulouse",
    "Grenoble", "Bamako", "Niamey", "Lausanne", "Namur", "Cotonou", "Lomé", "Yaoundé",
)  # fmt: skip
COUNTRIES = (
    "Belgique", "Suisse", "Canada", "Sénégal", "Côte d'Ivoire", "Tunisie", "Algérie", "Maroc",
    "Mali", "Niger", "Bénin", "Togo", "Cameroun", "Gabon", "Madagascar", "Luxembourg", "Haïti",
    "Congo", "Burkina Faso", "Guinée", "Mauritanie", "Tchad",
)  # fmt: skip

_KINDS: dict[str, str] = {
    **{name: "person" for name in (*_PEOPLE, *_SHORT_FORMS)},
    **{name: "city" for name in _CITIES},
    **{name: "country" for name in _COUNTRIES},
    **{name: "month" for name in MONTHS},
    **{name: "weekday" for name in WEEKDAYS},
}
_SLOT = re.compile(
    r"\d+|\b(?:" + "|".join(re.escape(k) for k in sorted(_KINDS, key=len, reverse=True)) + r")\b"
)
_SENTENCE_END = re.compile(r"(?<=[.!?»”\"])\s+(?=[«“\"A-ZÀÂÉÈÊÎÔÙÇ])|\n+")


@dataclass(frozen=True)
class Template:
    """A text with its entity/number slots cut out: `fmt.format(*values)` rebuilds it."""

    fmt: str
    slots: tuple[str, ...]  # the seed word (entity, month, weekday) or digits in each slot

    @classmethod
    def parse(cls, text: str) -> Template:
        slots: list[str] = []

        def cut(match: re.Match[str]) -> str:
            slots.append(match.group())
            return "\0"

        marked = _SLOT.sub(cut, text)
        fmt = marked.replace("{", "{{").replace("}", "}}").replace("\0", "{}")
        return cls(fmt=fmt, slots=tuple(slots))


class Variant:
    """One consistent set of replacements: same seed name, same fictional name."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        people = rng.sample(range(len(FIRST_NAMES) * len(LAST_NAMES)), len(_PEOPLE))
        names = {
            seed: f"{FIRST_NAMES[p % len(FIRST_NAMES)]} {LAST_NAMES[p // len(FIRST_NAMES)]}"
            for seed, p in zip(_PEOPLE, people, strict=True)
        }
        for alias, canonical in _SAME_PERSON.items():
            names[alias] = names[canonical]
        for short, full in _SHORT_FORMS.items():
            names[short] = names[full].split()[-1]
        cities = dict(zip(_CITIES, rng.sample(CITIES, len(_CITIES)), strict=True))
        countries = dict(zip(_COUNTRIES, rng.sample(COUNTRIES, len(_COUNTRIES)), strict=True))
        self._entities = {**names, **cities, **countries}
        self._months = rng.sample(MONTHS, len(MONTHS))
        self._weekdays = rng.sample(WEEKDAYS, len(WEEKDAYS))

    def value(self, slot: str) -> str:
        """The replacement for one slot; numbers are drawn afresh each time."""
        if slot[0].isdigit():
            return self._number(slot)
        kind = _KINDS[slot]
        if kind == "month":
            return self._months[MONTHS.index(slot)]
        if kind == "weekday":
            return self._weekdays[WEEKDAYS.index(slot)]
        return self._entities[slot]

    def _number(self, digits: str) -> str:
        n = int(digits)
        if len(digits) == 4 and 1900 <= n <= 2099:
            return str(self._rng.randint(1990, 2025))
        if len(digits) <= 2 and 1 <= n <= 31:
            return str(self._rng.randint(1, 31))
        low = 10 ** (len(digits) - 1) if len(digits) > 1 else 0
        return str(self._rng.randint(low, 10 ** len(digits) - 1))

    def fill(self, template: Template) -> str:
        return template.fmt.format(*(self.value(s) for s in template.slots))


def seed_texts(seed_dir: Path) -> list[str]:
    """The seed articles (README excluded), in file-name order."""
    return [p.read_text(encoding="utf-8") for p in sorted(seed_dir.glob("*.txt"))]


def seed_sentences(texts: Sequence[str]) -> tuple[list[Template], list[Template]]:
    """(sentences, headings) as templates; headings are short lines with no final stop."""
    sentences: list[Template] = []
    headings: list[Template] = []
    for text in texts:
        for piece in _SENTENCE_END.split(text):
            piece = piece.strip()
            if len(piece) < 15:
                continue
            is_heading = len(piece) < 80 and piece[-1] not in '.!?»”":'
            if is_heading and matching_rule(piece) is not None:
                continue  # "© TOUS DROITS RÉSERVÉS" atop an article would cut all of it
            (headings if is_heading else sentences).append(Template.parse(piece))
    return sentences, headings


def synthetic_article(
    number: int, sentences: Sequence[Template], headings: Sequence[Template], seed: int
) -> str:
    """Article `number` of the corpus: a heading, a dateline and 3-6 short paragraphs."""
    rng = random.Random(f"article:{seed}:{number}")
    variant = Variant(rng)
    title = variant.fill(rng.choice(headings))
    dateline = (
        f"{rng.choice(CITIES)}, le {rng.choice(WEEKDAYS)} {rng.randint(1, 28)} "
        f"{rng.choice(MONTHS)} {rng.randint(2015, 2025)}."
    )
    picked = rng.sample(range(len(sentences)), rng.randint(8, 16))
    paragraphs: list[str] = [title, dateline]
    i = 0
    while i < len(picked):
        size = rng.randint(2, 4)
        paragraphs.append(" ".join(variant.fill(sentences[j]) for j in picked[i : i + size]))
        i += size
    return "\n\n".join(paragraphs) + "\n"


def write_corpus(seed_dir: Path, out_dir: Path, articles: int, seed: int = 0) -> list[Path]:
    """Write `articles` synthetic articles as .txt files; the same call writes the same bytes."""
    sentences, headings = seed_sentences(seed_texts(seed_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    width = len(str(articles))
    paths: list[Path] = []
    for number in range(articles):
        path = out_dir / f"article_{number:0{width}d}.txt"
        path.write_text(synthetic_article(number, sentences, headings, seed), encoding="utf-8")
        paths.append(path)
    return paths


def edit_corpus(folder: Path, fraction: float, seed: int = 0) -> list[Path]:
    """Change `fraction` of the articles in place (a correction inserted mid-article)."""
    paths = sorted(folder.glob("*.txt"))
    rng = random.Random(f"edit:{seed}")
    chosen = sorted(rng.sample(paths, max(1, math.ceil(len(paths) * fraction))))
    for number, path in enumerate(chosen):
        paragraphs = path.read_text(encoding="utf-8").split("\n\n")
        correction = (
            f"Correction du {rng.randint(1, 28)} {rng.choice(MONTHS)} : le bilan s'établit "
            f"désormais à {rng.randint(100, 9999)} personnes, selon {rng.choice(LAST_NAMES)} "
            f"(mise à jour n°{number + 1})."
        )
        paragraphs.insert(min(3, len(paragraphs)), correction)
        path.write_text("\n\n".join(paragraphs), encoding="utf-8")
    return chosen


def synthetic_chunk_texts(base: Sequence[str], count: int, seed: int = 0) -> Iterator[str]:
    """`count` chunk texts: base chunk `j % len(base)` under variant `j // len(base)`.

    Variants are pre-drawn (997 of them), so a million texts take seconds, not minutes.
    Each text starts with a dateline computed from `j` (92,400 combinations), so texts
    stay distinct even where the base chunk has no name or number to vary.
    """
    templates = [Template.parse(text) for text in base]
    rng = random.Random(f"chunks:{seed}")
    variants = [Variant(random.Random(rng.random())) for _ in range(997)]
    for j in range(count):
        variant = variants[(j // len(templates)) % len(variants)]
        yield f"{_dateline(j)} {variant.fill(templates[j % len(templates)])}"


def _dateline(j: int) -> str:
    city = CITIES[j % len(CITIES)]
    day = 1 + (j // len(CITIES)) % 28
    month = MONTHS[(j // (len(CITIES) * 28)) % 12]
    year = 2015 + (j // (len(CITIES) * 28 * 12)) % 11
    return f"{city}, {day} {month} {year} —"


def latency_questions(count: int, seed: int = 0) -> list[str]:
    """French questions in the style of the gold set, about the synthetic stories."""
    patterns = (
        "Quand {p} s'est-il rendu à {c} ?",
        "Quel accord {p} doit-il signer avec {k} ?",
        "Pourquoi {k} inquiète-t-elle les Occidentaux ?",
        "Qui est le conseiller diplomatique de {p} ?",
        "De quoi {k} est-elle accusée en échange d'une assistance technologique ?",
        "Quelle a été la dernière visite de {p} à {c} ?",
        "Que pense {p} du partenariat stratégique global ?",
        "Combien de munitions ont été livrées à {k} en {m} ?",
        "Quelles sanctions le Conseil de sécurité a-t-il imposées à {k} ?",
        "Où {p} se rendra-t-il après sa visite à {c} ?",
    )
    rng = random.Random(f"questions:{seed}")
    questions = []
    for i in range(count):
        person = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        questions.append(
            patterns[i % len(patterns)].format(
                p=person, c=rng.choice(CITIES), k=rng.choice(COUNTRIES), m=rng.choice(MONTHS)
            )
        )
    return questions
