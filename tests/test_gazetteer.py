"""Ruhr places and actors: the 53 municipalities, districts, demonyms, region names and the ruhr.md §3.1 pitfalls."""

from __future__ import annotations

import re
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


# -- institutions named after their city (issue 12, item 9) -------------------------------------------------------
# Sentences marked "Bundestag" are from plenary speeches of the 19th/20th Bundestag (amtliche Werke, § 5 UrhG, see
# /work/shared/data/corpora/bundestag/SOURCE.txt); the others are written for these tests in the style of press
# releases.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # <Institution> <City>, also for names that alone are a word or a surname
        ("Das Klinikum Dortmund eröffnet eine neue Intensivstation.", ["Dortmund"]),
        ("Die Stadtwerke Essen bauen ein Wärmenetz mit Großwärmepumpe.", ["Essen"]),
        ("Das Klinikum Hagen setzt einen OP-Roboter ein.", ["Hagen"]),
        ("Die Sparkasse Kamen fördert ein Gründerzentrum.", ["Kamen"]),
        ("Die Stadtwerke Wetter investieren in Photovoltaik.", ["Wetter (Ruhr)"]),
        ("Das Marien Hospital Herne gehört zum Universitätsklinikum der Ruhr-Universität Bochum.", ["Herne", "Bochum"]),
        ("Mai erhielt das Polizeipräsidium Duisburg ein Schreiben.", ["Duisburg"]),  # Bundestag
        ("wurde im Juni 2019 von der Staatsanwaltschaft Essen durchsucht.", ["Essen"]),  # Bundestag
        ("Senat für Familiensachen am OLG Hamm das Verfahren ausgesetzt", ["Hamm"]),  # Bundestag
        ("Kriminaloberkommissarin der Kreispolizeibehörde Recklinghausen", ["Recklinghausen"]),  # Bundestag
        # compounds and case forms: the head is the tail of the word, with its case ending
        ("Das Universitätsklinikum Essen setzt KI in der Radiologie ein.", ["Essen"]),
        ("zeigen wochenlange Streiks wie am Uniklinikum Düsseldorf oder am Uniklinikum Essen", ["Essen"]),  # Bundestag
        ("Forschende des Universitätsklinikums Essen und des Knappschaftskrankenhauses Bochum.", ["Essen", "Bochum"]),
        ("Am St. Josef-Hospital Bochum und im Evangelischen Krankenhaus Hamm.", ["Bochum", "Hamm"]),
        (
            "mit den Stadtwerken Bochum, den Wuppertaler Stadtwerken, RheinEnergie, den Stadtwerken Duisburg",
            ["Bochum", "Duisburg"],
        ),  # Bundestag
        ("Die Stadtwerke Essen und die Verkehrsbetriebe Hamm stellen auf Wasserstoffbusse um.", ["Essen", "Hamm"]),
        # <City>er <Institution>, also for demonyms that alone are a word ("Hammer", "Schwerter")
        ("Die Essener Stadtwerke und die Hammer Stadtwerke kooperieren.", ["Essen", "Hamm"]),
        ("Die Schwerter Sparkasse vergibt Gründerkredite.", ["Schwerte"]),
        # <Institution> in/zu <City>
        ("Die Hochschule Ruhr West in Mülheim forscht zur Robotik.", ["Mülheim an der Ruhr"]),
        ("Die Handwerkskammer zu Essen berät Betriebe zur Wärmepumpe.", ["Essen"]),
        # English, head after the name
        ("Essen University Hospital researchers trained the model.", ["Essen"]),
        ("Essen Hbf ist wegen Bauarbeiten gesperrt.", ["Essen"]),
        ("The University Hospital Essen and Ruhr University Bochum share data.", ["Essen", "Bochum"]),
        # hyphenated: name plus district or second name
        ("Die Kliniken Essen-Mitte und die Sparkasse Hagen-Herdecke.", ["Essen", "Hagen"]),
        # a known actor whose name holds a municipality names that place, even without a head ("RWI", "AKH")
        ("Das RWI Essen und das AKH Hagen legen eine Studie vor.", ["Essen", "Hagen"]),
    ],
)
def test_institution_names_count_as_their_place(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert places(gazetteer, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Bundestag: plural nouns are no heads, since they are also subjects of verb-final clauses
        ("Sie kritisierte, dass an weniger als 2 Prozent der Schulen und Kitas Essen angeboten wird.", []),
        ("Das Essen im Klinikum war kalt, das Wetter im Zoo schlecht.", []),
        ("Die Caritas-Klinik organisiert Essen auf Rädern, die Uniklinik Essen auf Rädern nicht.", []),
        ("Die Messe Essen findet bei jedem Wetter statt.", ["Essen"]),
        ("Das Wetter wird besser, bei Wind und Wetter, sagt der Deutsche Wetterdienst.", []),
        ("Der Hammer liegt in der Werkstatt, die Schwerter hängen an der Wand.", []),
        ("Im Juni Essen gehen ist schön.", []),  # "Uni" counts only whole or after a hyphen
        ("Nina Hagen singt im Theater, Hagen Reinhold spricht im Bundestag.", []),
    ],
)
def test_institution_rule_keeps_the_pitfalls(gazetteer: Gazetteer, text: str, expected: list[str]) -> None:
    assert places(gazetteer, text) == expected


def test_institution_mentions_keep_their_surface_and_position(gazetteer: Gazetteer) -> None:
    text = "Die IHK zu Essen lädt ein. Es gibt auch etwas zu Essen."
    found = gazetteer.find_places(text)
    assert [(p.municipality, p.mention, p.start) for p in found] == [("Essen", "Essen", text.index("Essen"))]


def test_institution_only_forms_are_not_names_for_the_term_blocklist(gazetteer: Gazetteer) -> None:
    # "Wetter" and "Hammer" are places only inside an institution name; alone they are words terms may use
    assert "Wetter" not in gazetteer.names and "Hammer" not in gazetteer.names
    assert "Dortmund" in gazetteer.names and "Essener" in gazetteer.names


def test_hospitals_are_actors_in_every_case_form(gazetteer: Gazetteer) -> None:
    text = (
        "Forschende des Universitätsklinikums Essen, des St. Josef-Hospitals Bochum und des BG-Universitätsklinikums "
        "Bergmannsheil arbeiten mit dem Marien Hospital Herne und am Evangelischen Klinikum Gelsenkirchen."
    )
    hits = gazetteer.find_actors(text)
    assert [(h.actor.name, h.actor.actor_type, h.actor.seat) for h in hits] == [
        ("Universitätsklinikum Essen", "university_hospital", "Essen"),
        ("St. Josef-Hospital Bochum", "university_hospital", "Bochum"),
        ("BG Universitätsklinikum Bergmannsheil", "university_hospital", "Bochum"),
        ("Marien Hospital Herne", "university_hospital", "Herne"),
        ("Evangelische Kliniken Gelsenkirchen", "hospital", "Gelsenkirchen"),
    ]
    assert hits[0].mention == "Universitätsklinikums Essen"
    assert places(gazetteer, text) == ["Essen", "Bochum", "Herne", "Gelsenkirchen"]


def test_real_rub_and_bundestag_mentions_of_hospitals_and_universities(gazetteer: Gazetteer) -> None:
    rub_feed = "Universitätsklinik und Poliklinik am BG-Universitätsklinikum Bergmannsheil"  # news.rub.de feed
    assert [h.actor.name for h in gazetteer.find_actors(rub_feed)] == ["BG Universitätsklinikum Bergmannsheil"]
    bundestag = [
        (
            "Schauen Sie sich an, was die neue Studie der Uniklinik Essen hervorgebracht hat",
            "Universitätsklinikum Essen",
        ),
        ("Ich zitiere Professor Werding, Rentenexperte der Uni Bochum.", "Ruhr-Universität Bochum"),
        ("Eine Studie der Universität Essen-Duisburg stellt fest, dass pro Kopf ...", "Universität Duisburg-Essen"),
    ]
    for sentence, actor in bundestag:
        assert [h.actor.name for h in gazetteer.find_actors(sentence)] == [actor]


def test_every_actor_alias_finds_its_actor_and_its_place(gazetteer: Gazetteer) -> None:
    """The list's own names: each alias is found as its actor, and an alias that names one municipality is there."""
    ror = re.compile(r"https://ror\.org/0[a-z0-9]{6}[0-9]{2}")
    for actor in gazetteer.actors:
        assert actor.seat in gazetteer.municipalities, actor.name
        assert actor.ror is None or ror.fullmatch(actor.ror), actor.name
        for alias in actor.aliases:
            assert [h.actor for h in gazetteer.find_actors(alias)] == [actor], alias
    hospitals = [a for a in gazetteer.actors if a.actor_type in ("hospital", "university_hospital")]
    assert len(hospitals) >= 40 and all(a.ror is None and not a.verified for a in hospitals)
    assert places(gazetteer, "Knappschaftskrankenhaus Bochum") == ["Bochum"]
    assert places(gazetteer, "Paracelsus-Klinik Marl") == ["Marl"]  # the clinic's town, not the group's seat
