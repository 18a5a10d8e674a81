"""bot/conversation/condense.py: the prompt for a language model and its check."""

from __future__ import annotations

from bot.conversation import Turn, checked_condensed, condense_messages


def turns(*pairs: tuple[str, tuple[str, ...]]) -> list[Turn]:
    return [Turn(q, q, quotes) for q, quotes in pairs]


def test_the_condensing_prompt_and_its_check() -> None:
    system, user = condense_messages(
        "Qu'a-t-il déclaré ?", turns(("Qui est Ouchakov ?", ("Ouchakov est conseiller.",))), "fr"
    )
    assert "autonome" in system
    assert "Q: Qui est Ouchakov ?" in user and "R: Ouchakov est conseiller." in user
    assert user.endswith("Qu'a-t-il déclaré ?")
    assert checked_condensed(" « Qu'a déclaré Ouchakov ? » ", "Qu'a-t-il déclaré ?") == (
        "Qu'a déclaré Ouchakov ?"
    )
    for bad in ("Ouchakov a déclaré des choses.", "Q1 ?\nQ2 ?", "", "A ? B ?"):
        assert checked_condensed(bad, "Qu'a-t-il déclaré ?") is None
