"""Other names for what a question names (bot/aliases.py)."""

from __future__ import annotations

from bot.aliases import alias_rules, metonyms, readings


def test_a_periphrase_is_also_read_in_plain_words() -> None:
    assert readings("Le chef de la diplomatie russe fait-il partie du voyage ?") == (
        "Le chef de la diplomatie russe fait-il partie du voyage ?",
        "Le ministre des Affaires étrangères russe fait-il partie du voyage ?",
    )


def test_groups_work_both_ways_and_periphrases_one_way() -> None:
    assert "Que dit l'Alliance atlantique ?" in readings("Que dit l'OTAN ?")
    assert readings("Que pense l'Empire du Milieu ?")[1] == "Que pense l'Chine ?"
    # "la Chine" is never rewritten as a periphrase.
    assert readings("Que pense la Chine ?") == ("Que pense la Chine ?",)


def test_a_question_naming_nothing_known_is_read_once() -> None:
    assert readings("Qui accompagne Poutine ?") == ("Qui accompagne Poutine ?",)


def test_case_accents_hyphens_and_apostrophes_do_not_matter() -> None:
    out = readings("selon le CHEF DE LA DIPLOMATIE, quoi ?")
    assert out[1] == "selon le ministre des Affaires étrangères, quoi ?"
    assert len(readings("Que dit l’Agence internationale de l’energie atomique ?")) == 2
    # "Union-Européenne" is "Union européenne": no rewrite to the other spelling.
    assert readings("Que dit l'Union-Européenne ?") == (
        "Que dit l'Union-Européenne ?",
        "Que dit l'UE ?",
    )


def test_swaps_of_swaps_reach_the_office_a_periphrase_names() -> None:
    out = readings("Selon le chef de l'Alliance atlantique, sur quoi compte Moscou ?")
    assert "Selon le chef de l'OTAN, sur quoi compte Moscou ?" in out
    assert "Selon le secrétaire général de l'OTAN, sur quoi compte Moscou ?" in out


def test_a_name_inside_a_longer_name_with_its_own_rule_is_left_alone() -> None:
    # "OTAN" inside "chef de l'OTAN" is not swapped for "Alliance atlantique".
    out = readings("Que dit le chef de l'OTAN ?")
    assert out[:2] == ("Que dit le chef de l'OTAN ?", "Que dit le secrétaire général de l'OTAN ?")
    assert "Que dit le chef de l'Alliance atlantique ?" not in out


def test_words_are_matched_whole() -> None:
    # "UE" inside "quelle" or "ONU" inside "FONUS" is no name.
    assert readings("Quelle est la date ?") == ("Quelle est la date ?",)
    assert readings("Que fait FONUS ?") == ("Que fait FONUS ?",)


def test_the_number_of_readings_is_capped() -> None:
    question = "L'OTAN, l'ONU, l'UE, l'AIEA, l'OMS et le FMI sont-ils d'accord ?"
    assert len(readings(question)) == 4
    assert len(readings(question, limit=2)) == 2
    assert readings(question)[0] == question


def test_every_rule_rewrites_to_another_name() -> None:
    rules = alias_rules()
    assert rules
    for name, others in rules:
        assert others and name not in others


def test_metonyms_group_a_place_its_capital_and_its_adjective() -> None:
    table = metonyms()
    # Keyed by the stem of a one-word name; each other name folded and split into words.
    assert table["kiev"] == (("kyiv",), ("ukraine",), ("ukrainien",))
    assert ("etats", "unis") in table["washington"]
    assert ("americain",) in table["washington"]
    assert ("coree", "du", "sud") in table["seoul"]
    # "Pékin" = "Chine" and "Chine" = "chinois" make one group.
    assert table["chinois"] == (("beijing",), ("chine",), ("pekin",))


def test_press_synonyms_are_read_one_way() -> None:
    assert "Qui est le chef de l'espionnage russe ?" in readings(
        "Qui est le patron de l'espionnage russe ?"
    )
    assert readings("Qui est le chef du renseignement ?") == ("Qui est le chef du renseignement ?",)
