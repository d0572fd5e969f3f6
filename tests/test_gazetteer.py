"""Ruhr places and actors: the 53 municipalities, districts, demonyms, region names and the ruhr.md §3.1 pitfalls."""

from __future__ import annotations

from collections import Counter

import pytest

from models.gazetteer import Gazetteer, distinct_municipalities
from tests.language_support import DUISBURG, annotator, rub_news


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


def places(gazetteer: Gazetteer, text: str) -> list[str]:
    return distinct_municipalities(gazetteer.find_places(text))


def test_the_rvr_area_has_53_municipalities_in_four_kreise(gazetteer: Gazetteer) -> None:
    by_kreis = Counter(m.kreis for m in gazetteer.municipalities.values())
    assert len(gazetteer.municipalities) == 53
    assert by_kreis == {
        "kreisfrei": 11,
        "Ennepe-Ruhr-Kreis": 9,
        "Kreis Recklinghausen": 10,
        "Kreis Unna": 10,
        "Kreis Wesel": 13,
    }
    nuts3 = "DEA12 DEA13 DEA16 DEA17 DEA1F DEA31 DEA32 DEA36 DEA51 DEA52 DEA53 DEA54 DEA55 DEA56 DEA5C"
    assert {m.nuts3 for m in gazetteer.municipalities.values()} == set(nuts3.split(" "))


def test_worked_examples_from_the_issue() -> None:
    assert annotator().annotate(DUISBURG).municipalities == ["Duisburg"]
    essen = annotator().annotate("Nach dem Essen ging es nach Essen-Steele.")
    assert essen.municipalities == ["Essen"]
    assert [p.mention for p in essen.places] == ["Essen-Steele"]
    wetter = annotator().annotate("Das Wetter in Wetter (Ruhr) war schlecht.")
    assert wetter.municipalities == ["Wetter (Ruhr)"] and len(wetter.places) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zum Essen gab es Suppe. Das Essen war kalt.", []),
        ("Die Firma zieht nach Essen um.", ["Essen"]),
        ("Der Essener Hauptbahnhof wird umgebaut.", ["Essen"]),
        ("Morgen wird das Wetter besser.", []),
        ("Die Stadt Wetter an der Ruhr baut ein Wärmenetz.", ["Wetter (Ruhr)"]),
        ("Wir wandern in den Alpen.", []),
        ("In Alpen am Niederrhein entsteht ein Solarpark.", ["Alpen"]),
        ("Die Metropolregion Rhein-Ruhr wächst, auch der Rhein-Ruhr-Express.", []),
        ("In Hamm (Sieg) und in Hamburg-Hamm wird gebaut.", []),
        ("Die Stadtwerke in Hamm bauen einen Speicher.", ["Hamm"]),
        ("Köln-Mülheim liegt am Rhein, Mülheim an der Ruhr an der Ruhr.", ["Mülheim an der Ruhr"]),
        ("Nina Hagen singt heute Abend.", []),
        # real contexts from Bundestag speeches of 2023
        ("Wir haben die Mehrwertsteuer für Essen in Gaststätten von 19 auf 7 Prozent gesenkt.", []),
        ("Ja, es geht auch um Essen und Ernährung; denn das ist wichtig.", []),
        ("Mit Hagen Reinhold verlässt uns ein geschätzter Kollege.", []),
        ("Auch in meiner Heimatstadt, in Hagen, treibt das Thema Geothermie die Menschen um.", ["Hagen"]),
        ("Wir finden sie in Duisburg, in Essen, in Neukölln.", ["Duisburg", "Essen"]),
        ("Die FernUniversität in Hagen wächst.", ["Hagen"]),
        ("Sie kamen nach Kamen, die Schwerte lagen in Schwerte.", ["Kamen", "Schwerte"]),
        ("Das Zentrum in Wattenscheid und der Phoenix-See in Dortmund-Hörde.", ["Bochum", "Dortmund"]),
        ("Dortmunder und Bochumer Firmen gründen in Castrop-Rauxel.", ["Dortmund", "Bochum", "Castrop-Rauxel"]),
    ],
)
def test_ambiguous_names_follow_the_rules(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert places(gazetteer, text) == expected


def test_region_and_kreis_mentions_are_places_without_a_municipality(gazetteer: Gazetteer) -> None:
    found = gazetteer.find_places("Im Ruhrgebiet und im Kreis Unna, nicht in der Region Rhein-Ruhr.")
    assert [(p.place_type, p.name, p.municipality) for p in found] == [
        ("region", "Ruhrgebiet", None),
        ("kreis", "Kreis Unna", None),
    ]


def test_actors_with_aliases_and_ror_ids(gazetteer: Gazetteer) -> None:
    text = (
        "Forschende der RUB, der TU Dortmund und der Universität Duisburg-Essen arbeiten mit thyssenkrupp Steel, "
        "E.ON und dem Fraunhofer UMSICHT zusammen. Auch die Deutsche Post ist dabei."
    )
    hits = gazetteer.find_actors(text)
    names = [h.actor.name for h in hits]
    assert names == [
        "Ruhr-Universität Bochum",
        "Technische Universität Dortmund",
        "Universität Duisburg-Essen",
        "thyssenkrupp",
        "E.ON",
        "Fraunhofer UMSICHT",
    ]
    assert hits[0].actor.ror == "https://ror.org/04tsk2644" and hits[0].mention == "RUB"
    assert hits[3].actor.actor_type == "company"
    assert not gazetteer.find_actors("Die Rubrik EONs und ein rubbeliger Text.")  # whole words only


def test_real_rub_news_items_with_html(gazetteer: Gazetteer) -> None:
    results = [annotator().annotate(item["html"], item["title"]) for item in rub_news()]
    assert all(r.status == "processed" and r.language == "de" for r in results)
    assert sum("Ruhr-Universität Bochum" in r.actor_names for r in results) == 2  # the third never names the RUB
    assert not any("<" in t.text or "class" in t.text or t.text == "RUB" for r in results for t in r.terms)
    assert "Positronen-Emissions-Tomografie" in [t.text for t in results[0].terms]
