"""The nine lead markets: the data file, and the multi-label classifier with its evidence."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.lead_markets import load_lead_markets
from tests.language_support import DUISBURG, SOLID_STATE_ABSTRACT, annotator, real_texts, rub_news


def market_ids(text: str, title: str | None = None) -> list[str]:
    return [s.lead_market_id for s in annotator().annotate(text, title).lead_markets]


def test_data_file_has_the_nine_official_lead_markets() -> None:
    data = load_lead_markets()
    assert [m.number for m in data.markets] == list(range(9))
    assert [m.name_de for m in data.markets] == [
        "Industrieller Kern & Unternehmerische Dienste",
        "Gesundheit",
        "Ressourceneffizienz",
        "Mobilität",
        "Urbanes Bauen & Wohnen",
        "Nachhaltiger Konsum",
        "Digitale Kommunikation",
        "Bildung & Wissen",
        "Freizeit & Events",
    ]
    assert len({m.id for m in data.markets}) == 9
    for market in data.markets:
        assert market.name_en and market.description_de and market.description_en
        assert len(market.seeds["de"]) >= 20 and len(market.seeds["en"]) >= 20
    hydrogen = next(c for c in data.cross_cutting if c.name == "Hydrogen")
    assert hydrogen.markets == ("ressourceneffizienz", "industrieller_kern", "mobilitaet", "urbanes_bauen_wohnen")


def test_broken_data_file_is_refused_with_a_reason() -> None:
    text = """
[[lead_market]]
id = "a"
code = "A"
number = 0
name_de = "A"
name_en = "A"
description_de = "a"
description_en = "a"
[[cross_cutting]]
name = "X"
markets = ["a", "nope"]
"""
    with pytest.raises(ValueError, match="unknown markets"):
        load_lead_markets(text)


def test_duisburg_electrolyser_is_resource_efficiency_first_with_evidence() -> None:
    scores = annotator().annotate(DUISBURG).lead_markets
    assert scores[0].lead_market_id == "ressourceneffizienz"
    assert scores[0].name == "Ressourceneffizienz"
    assert {"Elektrolyseur", "grüner Wasserstoff"} <= set(scores[0].evidence_terms)
    # hydrogen is cross-cutting: it also reaches the industrial core, mobility and urban construction
    assert {"industrieller_kern", "mobilitaet", "urbanes_bauen_wohnen"} <= {s.lead_market_id for s in scores}
    assert all(scores[0].score > s.score for s in scores[1:])
    evidence = scores[0].evidence()
    assert {"term": "Elektrolyseur", "count": 1, "weight": 1.0} in evidence["seed_terms"]


def test_english_solid_state_battery_patent_is_mobility() -> None:
    scores = annotator().annotate(SOLID_STATE_ABSTRACT).lead_markets
    ids = [s.lead_market_id for s in scores]
    assert "mobilitaet" in ids and ids[0] == "mobilitaet"
    assert "solid-state battery" in scores[0].evidence_terms


def test_seed_matching_is_lemma_aware_and_reaches_into_compounds() -> None:
    scores = annotator().annotate("Der Einsatz grünen Wasserstoffs in Wasserstoffelektrolyseuren wächst.").lead_markets
    evidence = scores[0].evidence()["seed_terms"]
    terms = {hit["term"]: hit for hit in evidence}
    assert "grüner Wasserstoff" in terms  # "grünen Wasserstoffs" matched the seed
    assert terms["Elektrolyseur"]["weight"] < 1.0  # a compound part counts, less than the word itself
    assert scores[0].lead_market_id == "ressourceneffizienz"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Die Klinik setzt Telemedizin und KI-gestützte Diagnostik für Patienten ein.", "gesundheit"),
        ("Das Unternehmen entwickelt Software für künstliche Intelligenz und Cloud-Dienste.", "digitale_kommunikation"),
        (
            "Der Neubau mit Wärmepumpe und Gründach entsteht im Quartier, serielles Sanieren folgt.",
            "urbanes_bauen_wohnen",
        ),
        ("Supermärkte setzen auf Mehrwegverpackung gegen Lebensmittelverschwendung.", "nachhaltiger_konsum"),
        ("Die Hochschule startet Weiterbildung und E-Learning für Studierende.", "bildung_wissen"),
        ("Das Museum zeigt digitale Industriekultur, dazu E-Sport und Streaming beim Festival.", "freizeit_events"),
        ("Im Hüttenwerk ersetzt die Direktreduktion den Hochofen: grüner Stahl.", "industrieller_kern"),
        ("A fleet of autonomous vehicles uses fast charging at the port logistics hub.", "mobilitaet"),
    ],
)
def test_each_market_wins_its_own_texts(text: str, first: str) -> None:
    assert market_ids(text)[0] == first


def test_text_without_technology_gets_no_lead_market() -> None:
    assert market_ids("Gestern war schönes Wetter und wir sind spazieren gegangen.") == []


def test_real_texts() -> None:
    ki_item = next(item for item in rub_news() if item["title"].startswith("Künstliche Intelligenz"))
    assert market_ids(ki_item["html"], ki_item["title"])[0] == "digitale_kommunikation"
    speech = real_texts()["bundestag:ID209300100"]["text"]
    assert "ressourceneffizienz" in market_ids(speech)[:3]


def test_market_profiles_have_scikit_learns_tfidf_numbers_without_importing_it() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from models.lead_markets import tfidf_profiles

    profiles = [["wasserstoff", "elektrolyseur", "wasserstoff", "stahl"], ["schule", "lernen", "stahl"], []]
    reference = TfidfVectorizer(analyzer=lambda words: words, sublinear_tf=True, norm="l2")
    expected = reference.fit_transform(profiles).toarray()
    features, idf, matrix = tfidf_profiles(profiles)
    assert features == list(reference.get_feature_names_out())
    assert idf == pytest.approx(reference.idf_, abs=1e-15)
    assert matrix == pytest.approx(expected, abs=1e-15)
    assert matrix[2].sum() == 0.0  # an empty profile stays a zero row


def test_the_seed_terms_lemma_keys_are_computed_once_and_read_back_by_later_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.annotate import Annotator
    from pipeline.runtime import keep_phrase_keys, phrase_key_file, restore_phrase_keys

    monkeypatch.setenv("FORESIGHT_CACHE_DIR", str(tmp_path / "cache"))
    first = Annotator()
    assert restore_phrase_keys(first) == 0 and not keep_phrase_keys(first)  # nothing keyed yet, nothing to keep
    before = first.annotate(DUISBURG)
    computed = first.new_phrase_keys
    assert computed > 500  # every seed term of the nine markets and the cross-cutting technologies
    assert keep_phrase_keys(first)
    second = Annotator()
    assert restore_phrase_keys(second) == computed
    after = second.annotate(DUISBURG)
    assert second.new_phrase_keys == 0  # not one seed keyed again
    assert after.lead_markets == before.lead_markets and after.lead_markets
    path = phrase_key_file(second.phrase_key_fingerprint())
    path.write_text("{damaged", encoding="utf-8")
    assert restore_phrase_keys(Annotator()) == 0  # a damaged file is computed again, not trusted
    assert second.phrase_key_fingerprint() == first.phrase_key_fingerprint()


def test_start_up_data_is_built_once_and_read_back_and_a_damaged_entry_is_built_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from models.startup_cache import load_or_build, startup_file

    monkeypatch.setenv("FORESIGHT_CACHE_DIR", str(tmp_path))
    builds: list[int] = []

    def build() -> dict[str, float]:
        builds.append(1)
        return {"wärmepumpe": 1e-6, "und": 0.02}

    assert load_or_build("frequencies", "v1", build) == {"wärmepumpe": 1e-6, "und": 0.02}
    assert load_or_build("frequencies", "v1", build) == {"wärmepumpe": 1e-6, "und": 0.02} and len(builds) == 1
    assert load_or_build("frequencies", "v2", build) and len(builds) == 2  # other data: built afresh
    startup_file("frequencies", "v1").write_bytes(b"\x80\x05truncated")
    assert load_or_build("frequencies", "v1", build) == {"wärmepumpe": 1e-6, "und": 0.02} and len(builds) == 3
    assert load_or_build("frequencies", "v1", build) and len(builds) == 3  # and replaced by a good one
