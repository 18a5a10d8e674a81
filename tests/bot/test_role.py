"""Roles and speakers a question names must be named by its answer."""

from __future__ import annotations

import pytest

from bot.role import asked_role, asked_speaker, states_role


@pytest.mark.parametrize(
    ("question", "role"),
    [
        (
            "Qui est le ministre de la Défense nord-coréen ?",
            ("ministre", "defense", "nord", "coreen"),
        ),
        ("Qui est le porte parole du Kremiln ?", ("porte", "parole", "kremiln")),
        ("C'est qui la ministre des Affaires étrangères ?", ("ministre", "affaires", "etrangeres")),
        ("Qui est John Kirby ?", ()),  # a name, not a role
        ("Qui accompagne Poutine ?", ()),
        ("Who is the Russian defence minister?", ()),  # French questions only
    ],
)
def test_asked_role(question: str, role: tuple[str, ...]) -> None:
    assert asked_role(question) == role


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("Selon Ouchakov, quels documents seront signés ?", ("ouchakov",)),
        ("Qu'a dit le président vietnamien à propos de la visite ?", ("president", "vietnamien")),
        ("D'après la Maison-Blanche, quelle région est menacée ?", ("maison", "blanche")),
        ("Quelles armes sont utilisées en Ukraine d'après Kirby ?", ("kirby",)),
        (
            "Selon le chef de l'Alliance atlantique, sur quoi compte Moscou ?",
            ("chef", "alliance", "atlantique"),
        ),
        ("Comment le Kremlin a-t-il qualifié la visite ?", ("kremlin",)),
        ("Comment certains en Occident voient cette alliance ?", ("certains", "occident")),
        ("Comment est qualifié le veto russe ?", ()),  # passive: nobody named
        ("Qui accompagne Poutine ?", ()),
    ],
)
def test_asked_speaker(question: str, speaker: tuple[str, ...]) -> None:
    assert asked_speaker(question) == speaker


def test_the_whole_role_must_be_stated_close_together() -> None:
    role = asked_role("Qui est le ministre de la Défense nord-coréen ?")
    assert states_role("le ministre de la Défense nord-coréen, No Kwang-chol", role)
    assert not states_role("le nouveau ministre de la Défense Andreï Belooussov", role)
    spread = (
        "le ministre de la Défense Andreï Belooussov accompagnera le président russe lors "
        "de cette visite très attendue par les médias nord-coréens"
    )
    assert not states_role(spread, role)


def test_typos_and_inflections_are_forgiven() -> None:
    assert states_role("Dmitri Peskov, porte-parole du Kremlin", ("porte", "parole", "kremiln"))
    assert states_role("la ministre nord-coréenne", ("ministre", "nord", "coreen"))
    assert states_role("le chef du renseignement", ("chef", "renseignemnt"))
    # Short words must match exactly: "sud" is not "sur".
    assert not states_role("sur la péninsule", ("sud",))
