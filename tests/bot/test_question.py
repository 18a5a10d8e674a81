"""Raw user text to a question: what survives cleaning."""

from __future__ import annotations

from bot.question import clean_question, decode_input_line


def test_lone_surrogates_become_replacement_characters() -> None:
    cleaned = clean_question("Qui \udcff accompagne \ud800 Poutine ?")
    assert cleaned == "Qui \ufffd accompagne \ufffd Poutine ?"
    cleaned.encode("utf-8")  # what the embedder does: must not raise


def test_input_lines_are_decoded_with_replacement() -> None:
    assert decode_input_line("Déjà ?\n".encode()) == ("Déjà ?", False)
    assert decode_input_line(b"Qui \xff ?\r\n") == ("Qui \ufffd ?", True)
