"""Cleaning scraped boilerplate, deriving titles and making articles."""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from pathlib import Path

import pytest

from index.clean import (
    RuleKind,
    boilerplate_rules,
    clean_text,
    content_id,
    derive_title,
    make_article,
    matching_rule,
)
from index.load import read_source_folder
from index.models import Article, SourceDocument

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def seeds() -> dict[str, Article]:
    articles: dict[str, Article] = {}
    for doc in read_source_folder(ROOT / "seeds").documents:
        article = make_article(doc)
        assert article is not None
        articles[doc.origin[:3]] = article
    assert sorted(articles) == ["000", "001", "002", "003", "004"]
    return articles


BOILERPLATE = {
    "000": ["Que se passe-t-il en Tunisie", "YouTube", "Abonnez-vous"],
    "001": ["TOUS DROITS", "©", "PREV", "NEXT", "HCR, le nombre", "des armes pour 40 milliards"],
    "002": [],
    "003": ["A lire aussi", "semble solide et susceptible de perdurer", ">"],
    "004": [
        "Actualite",
        "Facebook Comments",
        "Laisser un commentaire",
        "Votre adresse e-mail",
        "champs obligatoires",
    ],
}

FIRST_AND_LAST = {
    "000": (
        "Le président russe Vladimir Poutine se rendra en Corée du Nord mardi et mercredi,",
        "renforçant les alliances stratégiques et économiques dans un contexte de tensions "
        "internationales croissantes.",
    ),
    "001": (
        "les nouveaux (possibles) horizons stratégiques avec Kim\n\n",
        "d’importations de nourriture et d’énergie.portant la coopération militaire entre "
        "les deux États à un nouveau niveau.",
    ),
    "002": (
        "La visite récente de Vladimir Poutine en Corée du Nord a attiré l’attention",
        "tandis que Choe Son Hui, ministre nord-coréenne des Affaires étrangères, était à "
        "Moscou en janvier dernier.",
    ),
    "003": (
        "Le président russe Vladimir Poutine est attendu en Corée du Nord",
        "ce déplacement montre à quel point le président Poutine et Moscou sont désormais "
        "dépendants des pays autoritaires du monde entier.",
    ),
    "004": (
        "Visite du président russe Vladimir Poutine à Pyongyang\n\nLe président russe",
        "vis à vis de ce rapprochement entre deux états jugés «\u00a0parias\u00a0» et sous "
        "sanctions internationales.\n\nAuteur: Sidali Salim.",
    ),
}


@pytest.mark.parametrize("key", sorted(BOILERPLATE))
def test_seed_boilerplate_is_gone(seeds: dict[str, Article], key: str) -> None:
    for fragment in BOILERPLATE[key]:
        assert fragment not in seeds[key].text


@pytest.mark.parametrize("key", sorted(FIRST_AND_LAST))
def test_seed_article_content_survives_from_first_to_last_sentence(
    seeds: dict[str, Article], key: str
) -> None:
    first, last = FIRST_AND_LAST[key]
    assert seeds[key].text.startswith(first)
    assert seeds[key].text.endswith(last)


def test_seed_middle_content_survives_verbatim(seeds: dict[str, Article]) -> None:
    assert (
        "Poutine sera accompagné de hauts responsables russes, dont le ministre des Affaires "
        "étrangères Sergueï Lavrov et le ministre de la Défense Andreï Belooussov."
    ) in seeds["002"].text
    # Subheadings are article content, not boilerplate.
    assert "\nProgramme de la visite\n" in seeds["002"].text
    # Glued words in the source stay as they are: only boilerplate and whitespace change.
    assert "remonte à juillet 2000lorsqu’il a rencontré" in seeds["001"].text
    assert "« partenariat stratégique global »" in seeds["001"].text


def test_seed_cleaning_only_removes_lines(seeds: dict[str, Article]) -> None:
    for key, article in seeds.items():
        raw = next(ROOT.glob(f"seeds/{key}_*.txt")).read_text(encoding="utf-8")
        raw_lines = {line.strip() for line in raw.splitlines()}
        assert all(line in raw_lines for line in article.text.split("\n")), key
        assert "\n\n\n" not in article.text


def test_seed_titles(seeds: dict[str, Article]) -> None:
    assert seeds["001"].title == "les nouveaux (possibles) horizons stratégiques avec Kim"
    assert seeds["004"].title == "Visite du président russe Vladimir Poutine à Pyongyang"
    for key in ["000", "002", "003"]:
        title = seeds[key].title
        assert title.endswith("…")
        assert len(title) <= 81
        assert seeds[key].text.startswith(title.removesuffix("…"))
    assert seeds["000"].title.startswith("Le président russe Vladimir Poutine se rendra en Corée")


def test_seed_ids_are_content_hashes_and_distinct(seeds: dict[str, Article]) -> None:
    for article in seeds.values():
        assert article.id == hashlib.sha256(article.text.encode("utf-8")).hexdigest()[:16]
        assert article.source == article.origin
        assert article.url is None
    assert len({article.id for article in seeds.values()}) == 5


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Abonnez-vous à notre newsletter pour ne rien manquer !", "subscribe_call"),
        ("Subscribe now for unlimited access", "subscribe_call"),
        ("Suivez-nous sur Instagram et TikTok", "follow_channel"),
        ("Recevez gratuitement notre lettre d’information", "newsletter_call"),
        ("PREV Les élections en Inde", "prev_next_navigation"),
        ("Article précédent : La visite de Blinken à Séoul", "prev_next_navigation"),
        ("Next article", "prev_next_navigation"),
        ("« Précédent", "prev_next_navigation"),
        ("Accueil > Monde > Asie", "breadcrumb"),
        ("À la une", "section_label"),
        ("Publicité", "advertisement"),
        ("À lire aussi : La Corée du Sud inquiète", "read_also"),
        ("LIRE AUSSI. Poutine au Vietnam", "read_also"),
        ("Read more: Putin visits Hanoi", "read_also"),
        ("Partager sur Facebook", "share_buttons"),
        ("Partager : Facebook | Twitter | WhatsApp | Imprimer", "share_buttons"),
        ("Share this article on X", "share_buttons"),
        ("Twitter", "share_buttons"),
        ("© 2024 Le Journal. Tous droits réservés.", "copyright"),
        ("Copyright 2024 Example Media", "copyright"),
        ("Reproduction interdite sans autorisation", "copyright"),
        ("Ce site utilise des cookies pour améliorer votre expérience.", "cookie_notice"),
        ("Mots-clés : Corée du Nord, Russie", "tag_list"),
        ("Leave a Reply", "comment_form"),
        ("12 commentaires", "comment_form"),
        ("Your email address will not be published. Required fields are marked *", "comment_form"),
    ],
)
def test_generic_boilerplate_rules(line: str, rule: str) -> None:
    matched = matching_rule(line)
    assert matched is not None, line
    assert matched.name == rule


@pytest.mark.parametrize(
    "line",
    [
        "Next year, the government will raise taxes on imports.",
        "Comments from the minister were sharp: “this is unacceptable”.",
        "Suivant la tradition, le dirigeant a reçu son hôte à l’aéroport.",
        "Partager le pouvoir n’a jamais été son fort, a-t-il dit.",
        "Twitter a annoncé mardi le licenciement de la moitié de ses effectifs.",
        "Par ailleurs, Moscou a livré du pétrole à Pyongyang.",
        "Auteur: Sidali Salim.",
        "Publié le 18 juin 2024 à 10h00",
        "Related to this, the ministry issued a statement.",
        "(c) les conditions du traité restent secrètes.",
        "Il a déclaré : « Abonnez-vous à la paix, pas à la guerre », sous les applaudissements "
        "de la foule réunie devant le palais présidentiel, selon les images diffusées par la "
        "télévision d’État.",
        "Programme de la visite",
        "Les rédactions en ligne ont vu leurs commentaires exploser.",
    ],
)
def test_article_lines_are_not_boilerplate(line: str) -> None:
    assert matching_rule(line) is None


def test_rules_are_named_data_compiled_once() -> None:
    rules = boilerplate_rules()
    assert rules is boilerplate_rules()
    names = [rule.name for rule in rules]
    assert len(names) == len(set(names))
    assert {rule.kind for rule in rules} == {RuleKind.DROP_LINE, RuleKind.CUT_TO_END}


def test_drop_rules_remove_only_their_line() -> None:
    text = (
        "Accueil > Monde > Asie\n"
        "Titre de l’article\n"
        "Partager sur Facebook\n"
        "Premier paragraphe.\n"
        "> À lire aussi : Un autre sujet\n"
        "Deuxième paragraphe.\n"
        "Publicité\n"
        "Troisième paragraphe.\n"
        "© 2024 Le Journal\n"
    )

    assert clean_text(text) == (
        "Titre de l’article\nPremier paragraphe.\nDeuxième paragraphe.\nTroisième paragraphe."
    )


def test_cut_rule_drops_everything_after_the_comment_form() -> None:
    text = "Corps.\n\nLaisser un commentaire\n\nNom *\nUn avis de lecteur très long."

    assert clean_text(text) == "Corps."


def test_whitespace_is_normalised_and_typography_kept() -> None:
    decomposed = unicodedata.normalize("NFD", "Été")
    text = (
        f"  {decomposed}  \t à   Séoul \r\n"
        "« Bonjour\u00a0! » — l’œuvre…\u200b\n\n\n\n"
        "Second   paragraphe.\nLigne suivante.   \n\n"
    )

    cleaned = clean_text(text)

    assert cleaned == (
        "Été à Séoul\n« Bonjour\u00a0! » — l’œuvre…\n\nSecond paragraphe.\nLigne suivante."
    )
    assert unicodedata.is_normalized("NFC", cleaned)


def test_boilerplate_only_text_makes_no_article() -> None:
    doc = SourceDocument(text="Partager sur Facebook\n© Tous droits réservés\n\n", origin="x.txt")

    assert clean_text(doc.text) == ""
    assert make_article(doc) is None


def test_title_from_data_wins() -> None:
    doc = SourceDocument(text="Un titre court\nCorps.", origin="a.txt", title="  Le  vrai\ntitre ")

    assert derive_title(doc, clean_text(doc.text)) == "Le vrai titre"


def test_title_line_is_used_and_kept_in_text() -> None:
    doc = SourceDocument(text="Poutine à Pyongyang\nLe président est arrivé.", origin="a.txt")
    article = make_article(doc)

    assert article is not None
    assert article.title == "Poutine à Pyongyang"
    assert article.text.startswith("Poutine à Pyongyang\n")


@pytest.mark.parametrize(
    ("cleaned", "title"),
    [
        ("Poutine est arrivé. Il repart demain.\nSuite.", "Poutine est arrivé"),
        (
            "Voici les points clés de la visite de Vladimir Poutine en Corée du Nord et au "
            "Vietnam :\nSuite.",
            "Voici les points clés de la visite de Vladimir Poutine en Corée du Nord et au…",
        ),
        ("x" * 130 + "\nSuite.", "x" * 80 + "…"),
        ("Un seul paragraphe sans saut de ligne", "Un seul paragraphe sans saut de ligne"),
    ],
    ids=["period", "colon", "too-long", "single-line"],
)
def test_sentence_like_first_lines_give_a_first_sentence_title(cleaned: str, title: str) -> None:
    assert derive_title(SourceDocument(text=cleaned, origin="a.txt"), cleaned) == title


def test_short_first_sentence_is_the_title_without_its_period() -> None:
    cleaned = "M. Kim a accueilli Poutine. Il a ensuite parlé longuement de la coopération."

    assert derive_title(SourceDocument(text=cleaned, origin="a"), cleaned) == (
        "M. Kim a accueilli Poutine"
    )


def test_long_first_sentence_is_cut_at_a_word_boundary() -> None:
    cleaned = (
        "Le président russe Vladimir Poutine est attendu en Corée du Nord pour une visite "
        "d’État exceptionnelle mardi et mercredi. Suite."
    )

    title = derive_title(SourceDocument(text=cleaned, origin="a"), cleaned)

    assert title == (
        "Le président russe Vladimir Poutine est attendu en Corée du Nord pour une visite…"
    )


def test_jsonl_article_source_and_metadata() -> None:
    doc = SourceDocument(
        text="Texte.", origin="feed.jsonl", line=3, date="2024-06-18", source="Le Journal"
    )
    article = make_article(doc)

    assert article is not None
    assert article.source == "feed.jsonl#L3"
    assert article.origin == "feed.jsonl"
    assert (article.date, article.publisher, article.url) == ("2024-06-18", "Le Journal", None)


def test_url_is_the_source_when_known() -> None:
    doc = SourceDocument(text="Texte.", origin="feed.jsonl", line=3, url="https://ex.org/a")
    article = make_article(doc)

    assert article is not None
    assert article.source == "https://ex.org/a"


def test_ids_are_stable_content_hashes() -> None:
    one = make_article(SourceDocument(text="Même texte.\nPartager sur Facebook", origin="a.txt"))
    two = make_article(SourceDocument(text="  Même   texte. ", origin="sub/b.md", title="T"))
    other = make_article(SourceDocument(text="Autre texte.", origin="a.txt"))

    assert one is not None and two is not None and other is not None
    assert one.id == two.id == content_id("Même texte.")
    assert one.id == hashlib.sha256("Même texte.".encode()).hexdigest()[:16]
    assert other.id != one.id
    assert len(one.id) == 16


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://[evil]/", "malformed"),
        ("https://example.org/" + "a" * 4049, "longer than"),
        ("javascript:alert(1)", "http(s)"),
        ("https://exa mple.org/", "spaces"),
        ("https://example.org:99999/", "malformed"),
    ],
)
def test_bad_urls_are_dropped_at_ingest_and_the_article_kept(
    url: str, why: str, caplog: pytest.LogCaptureFixture
) -> None:
    doc = SourceDocument(text="Texte de l'article.", origin="feed.jsonl", line=3, url=url)

    with caplog.at_level(logging.WARNING, logger="newsbot.index"):
        article = make_article(doc)

    assert article is not None and article.url is None
    assert article.source == "feed.jsonl#L3"
    assert "feed.jsonl#L3: URL dropped" in caplog.text and why in caplog.text
