"""Reading source folders: file discovery, decoding, formats and skipped files."""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from index.errors import SourceFolderError
from index.load import (
    ReadResult,
    UnreadableSource,
    list_source_files,
    list_unsupported_files,
    read_source_file,
    read_source_folder,
)
from index.models import Skipped, SourceDocument

ROOT = Path(__file__).resolve().parents[2]
FRENCH = (
    "Le président a déclaré : « C’est l’œuvre d’une équipe » — été 2024… "
    "Très bien. Ça marche ? Où est-il ? Cœur, sœur, Noël, déjà vu.\n"
)

HTML_PAGE = """<!doctype html><html lang="fr"><head><meta charset="utf-8">
<title>Poutine à Pyongyang - Le Journal</title>
<meta property="og:title" content="Poutine à Pyongyang">
<meta property="og:url" content="https://example.org/monde/poutine-pyongyang">
<meta property="og:site_name" content="Le Journal">
<meta property="article:published_time" content="2024-06-18T10:00:00+02:00">
</head><body>
<nav><ul><li><a href="/">Accueil</a></li><li><a href="/monde">Monde</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<header><div class="menu">Menu principal Connexion S'abonner</div></header>
<article><h1>Poutine à Pyongyang</h1>
<p>Le président russe Vladimir Poutine est arrivé mardi soir à Pyongyang pour une visite
d’État de deux jours, sa première en Corée du Nord depuis vingt-quatre ans.</p>
<p>Les deux dirigeants doivent signer un accord de « partenariat stratégique global »,
selon le Kremlin, qui n’a pas donné davantage de détails sur son contenu.</p>
<p>Washington et Séoul suivent ce rapprochement avec inquiétude, craignant des livraisons
d’armes supplémentaires à destination de Moscou.</p>
</article>
<div class="share">Partager sur Facebook Partager sur Twitter Imprimer</div>
<footer><p>© 2024 Le Journal — Tous droits réservés</p>
<a href="/mentions">Mentions légales</a></footer>
</body></html>"""


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def read_one(path: Path, root: Path) -> SourceDocument:
    result = read_source_file(path, root)
    assert result.skipped == ()
    assert len(result.documents) == 1
    return result.documents[0]


def test_lists_article_files_recursively_sorted_without_hidden_or_readme(tmp_path: Path) -> None:
    for name in [
        "b.md",
        "a.txt",
        "sub/c.html",
        "sub/d.htm",
        "sub/deeper/e.jsonl",
        "f.odt",
        "notes.csv",
        "README.md",
        "sub/readme.TXT",
        ".hidden.txt",
        ".git/ignored.txt",
        "sub/.cache/ignored.md",
        "UPPER.TXT",
    ]:
        write(tmp_path / name, "x")

    found = [p.relative_to(tmp_path).as_posix() for p in list_source_files(tmp_path)]

    assert found == [
        "UPPER.TXT",
        "a.txt",
        "b.md",
        "sub/c.html",
        "sub/d.htm",
        "sub/deeper/e.jsonl",
    ]


def test_listing_a_missing_folder_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(SourceFolderError, match="NEWSBOT_SOURCE_DIR"):
        list_source_files(tmp_path / "nope")


def test_txt_is_one_document_with_a_relative_posix_origin(tmp_path: Path) -> None:
    path = write(tmp_path / "2024" / "juin" / "article.txt", "Titre\n\nCorps de l’article.")

    doc = read_one(path, tmp_path)

    assert doc == SourceDocument(
        text="Titre\n\nCorps de l’article.", origin="2024/juin/article.txt"
    )


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    path = write(tmp_path / "bom.txt", b"\xef\xbb\xbf" + FRENCH.encode("utf-8"))

    assert read_one(path, tmp_path).text == FRENCH


def test_utf16_with_bom_is_decoded(tmp_path: Path) -> None:
    path = write(tmp_path / "notepad.txt", FRENCH.encode("utf-16"))

    assert read_one(path, tmp_path).text == FRENCH


@pytest.mark.parametrize(
    "text",
    [FRENCH, FRENCH * 20, "Café\n", "Voilà l’été.", "« Œuvre » – 5 €"],
    ids=["sentence", "long", "one-word", "short", "symbols"],
)
def test_cp1252_french_decodes_exactly(tmp_path: Path, text: str) -> None:
    path = write(tmp_path / "windows.txt", text.encode("cp1252"))

    assert read_one(path, tmp_path).text == text


def test_latin1_french_decodes_exactly(tmp_path: Path) -> None:
    text = "L'été à Noël, déjà « très » français.\n" * 3
    path = write(tmp_path / "latin1.txt", text.encode("latin-1"))

    assert read_one(path, tmp_path).text == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Привет, как дела? Это тест русского текста.", "cp1251"),
        ("Zażółć gęślą jaźń, powiedział minister. Ładna pogoda dziś w Warszawie.", "cp1250"),
    ],
)
def test_other_code_pages_are_not_forced_into_cp1252(
    tmp_path: Path, text: str, encoding: str
) -> None:
    path = write(tmp_path / "foreign.txt", text.encode(encoding))

    assert read_one(path, tmp_path).text == text


@pytest.mark.parametrize(
    "content", [b"", b"   \n\t\n", b"\xef\xbb\xbf\n"], ids=["zero", "blank", "bom"]
)
def test_empty_file_is_unreadable(tmp_path: Path, content: bytes) -> None:
    path = write(tmp_path / "empty.txt", content)

    with pytest.raises(UnreadableSource, match="empty"):
        read_source_file(path, tmp_path)


def test_png_is_rejected_as_binary(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(4096)
    path = write(tmp_path / "image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + noise)

    with pytest.raises(UnreadableSource, match="binary"):
        read_source_file(path, tmp_path)


def test_random_bytes_without_nul_are_rejected_not_decoded(tmp_path: Path) -> None:
    noise = bytes(b for b in random.Random(3).randbytes(4096) if b)
    path = write(tmp_path / "noise.md", noise)

    with pytest.raises(UnreadableSource, match="binary"):
        read_source_file(path, tmp_path)


def test_control_characters_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path / "ctrl.txt", "abc\x01\x02\x03\x04def" * 10)

    with pytest.raises(UnreadableSource, match="binary"):
        read_source_file(path, tmp_path)


def test_directory_named_like_a_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "folder.txt").mkdir()

    with pytest.raises(UnreadableSource, match="cannot read"):
        read_source_file(tmp_path / "folder.txt", tmp_path)


def test_broken_symlink_is_unreadable(tmp_path: Path) -> None:
    link = tmp_path / "gone.txt"
    link.symlink_to(tmp_path / "missing-target.txt")

    with pytest.raises(UnreadableSource, match="cannot read"):
        read_source_file(link, tmp_path)


def test_unsupported_suffix_is_unreadable(tmp_path: Path) -> None:
    path = write(tmp_path / "doc.odt", "texte")

    with pytest.raises(UnreadableSource, match="unsupported"):
        read_source_file(path, tmp_path)


def test_jsonl_keeps_good_lines_and_reports_each_bad_one(tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "text": "Premier article.",
                "title": " Un titre ",
                "url": "https://example.org/1",
                "date": "2024-06-18",
                "source": "Le Journal",
                "extra": [1, 2],
            },
            ensure_ascii=False,
        ),
        "{not json",
        json.dumps({"title": "sans texte"}),
        json.dumps({"text": "   "}),
        json.dumps({"text": "Texte", "title": 42}),
        json.dumps(["text", "liste"]),
        "",
        json.dumps({"text": "Deuxième\u2028article.", "url": None}, ensure_ascii=False),
    ]
    path = write(tmp_path / "feed" / "articles.jsonl", "\n".join(lines) + "\n")

    result = read_source_file(path, tmp_path)

    assert result.documents == (
        SourceDocument(
            text="Premier article.",
            origin="feed/articles.jsonl",
            title="Un titre",
            url="https://example.org/1",
            date="2024-06-18",
            source="Le Journal",
            line=1,
        ),
        SourceDocument(text="Deuxième\u2028article.", origin="feed/articles.jsonl", line=8),
    )
    assert [s.origin for s in result.skipped] == [
        f"feed/articles.jsonl#L{n}" for n in (2, 3, 4, 5, 6)
    ]
    reasons = [s.reason for s in result.skipped]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == reasons[2] == "missing or empty 'text'"
    assert reasons[3] == "field 'title' is not a string"
    assert reasons[4] == "not a JSON object"


def test_html_main_text_and_metadata(tmp_path: Path) -> None:
    path = write(tmp_path / "page.html", HTML_PAGE)

    doc = read_one(path, tmp_path)

    assert doc.title == "Poutine à Pyongyang"
    assert doc.url == "https://example.org/monde/poutine-pyongyang"
    assert doc.date == "2024-06-18"
    assert doc.source == "Le Journal"
    assert "sa première en Corée du Nord depuis vingt-quatre ans." in doc.text
    assert "d’armes supplémentaires à destination de Moscou." in doc.text
    for chrome in ["Menu principal", "Mentions légales", "Sport", "Tous droits réservés"]:
        assert chrome not in doc.text


def test_html_without_article_text_is_unreadable(tmp_path: Path) -> None:
    path = write(
        tmp_path / "empty.htm", "<html><head><title>Rien</title></head><body></body></html>"
    )

    with pytest.raises(UnreadableSource, match="no article text"):
        read_source_file(path, tmp_path)


def test_markdown_is_stripped_lightly_and_h1_becomes_the_title(tmp_path: Path) -> None:
    markdown = (
        "# Poutine à *Pyongyang*\n\n"
        "Le **président** russe a rencontré _Kim Jong-un_, selon [l’agence KCNA](https://kcna.kp).\n"
        "![carte](carte.png)\n\n"
        "## Un accord\n\n"
        "> Une citation en `exergue`.\n\n"
        "---\n\n"
        "Les variables snake_case_name et 2*3*4 restent intactes.\n"
    )
    path = write(tmp_path / "note.md", markdown)

    doc = read_one(path, tmp_path)

    assert doc.title == "Poutine à Pyongyang"
    assert doc.text == (
        "Poutine à Pyongyang\n\n"
        "Le président russe a rencontré Kim Jong-un, selon l’agence KCNA.\n\n\n"
        "Un accord\n\n"
        "Une citation en exergue.\n\n\n\n"
        "Les variables snake_case_name et 2*3*4 restent intactes.\n"
    )


def test_markdown_without_h1_has_no_title(tmp_path: Path) -> None:
    path = write(tmp_path / "note.md", "Un paragraphe.\n\n# Pas en tête\n")

    assert read_one(path, tmp_path).title is None


def test_folder_reads_good_files_and_skips_bad_ones_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(tmp_path / "a.txt", "Un article.")
    write(tmp_path / "b.txt", b"")
    write(tmp_path / "c.txt", b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "d.txt").symlink_to(tmp_path / "missing.txt")
    write(tmp_path / "e.jsonl", '{"text": "Deux."}\n{oops\n')
    write(tmp_path / "README.md", "# Corpus\nNe pas indexer.")

    with caplog.at_level(logging.WARNING, logger="newsbot.index"):
        result = read_source_folder(tmp_path)

    assert isinstance(result, ReadResult)
    assert [d.text for d in result.documents] == ["Un article.", "Deux."]
    assert [s.origin for s in result.skipped] == ["b.txt", "c.txt", "d.txt", "e.jsonl#L2"]
    assert isinstance(result.skipped[0], Skipped)
    assert "empty" in result.skipped[0].reason
    messages = [r.getMessage() for r in caplog.records if r.name == "newsbot.index"]
    assert len(messages) == 4
    for origin in ["b.txt", "c.txt", "d.txt", "e.jsonl#L2"]:
        assert any(origin in message for message in messages)


def test_missing_folder_raises_source_folder_error(tmp_path: Path) -> None:
    with pytest.raises(SourceFolderError, match="no source folder"):
        read_source_folder(tmp_path / "absent")


def test_folder_without_article_files_raises(tmp_path: Path) -> None:
    write(tmp_path / "README.md", "Rien à indexer.")

    with pytest.raises(SourceFolderError, match=r"no \.txt"):
        read_source_folder(tmp_path)


def test_real_seeds_are_read_without_the_readme() -> None:
    result = read_source_folder(ROOT / "seeds")

    assert result.skipped == ()
    assert [d.origin for d in result.documents] == [
        "000_42a09c5fa2a475f0.txt",
        "001_9094e598d010c395.txt",
        "002_352371e2d226c347.txt",
        "003_461a80f96c7b2d8d.txt",
        "004_e9cc385765b94f2b.txt",
    ]
    assert all("Seed articles" not in d.text for d in result.documents)


def test_listing_sorts_as_paths_do_and_filters_names(tmp_path: Path) -> None:
    for name in ["a/b.txt", "a-c.txt", "a/README.md", "a.", "x.tar.TXT", "n.docx", ".h/z.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Un texte.", encoding="utf-8")

    listed = list_source_files(tmp_path)

    assert listed == sorted(listed)
    assert [p.relative_to(tmp_path).as_posix() for p in listed] == [
        "a/b.txt",
        "a-c.txt",
        "x.tar.TXT",
    ]
    assert [p.name for p in list_unsupported_files(tmp_path)] == ["a.", "n.docx"]
