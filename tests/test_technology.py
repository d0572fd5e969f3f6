"""The technology score: a football coach's transfer ranks below heat pumps, and every part has its evidence."""

from __future__ import annotations

import pytest

from models.technology import load_vocabulary, technology, technology_terms

VOCABULARY = load_vocabulary(["Wärmepumpe", "Elektrolyseur", "künstliche Intelligenz", "KI"])


def test_seed_words_compounds_and_technical_heads_are_recognised() -> None:
    assert VOCABULARY.is_seed("wärmepumpe") and VOCABULARY.is_seed("künstliche_intelligenz")
    assert VOCABULARY.is_seed("wasserstoffelektrolyseur")  # a compound ending in a seed
    assert VOCABULARY.is_seed("wärmepumpe (heat_pump)")  # a linked form
    assert not VOCABULARY.is_seed("trainer")
    assert VOCABULARY.is_technical("batteriespeicher") and VOCABULARY.is_technical("solid-state_battery")
    assert VOCABULARY.is_technical("roboter") and not VOCABULARY.is_technical("trainerwechsel")


def test_a_heat_pump_topic_is_a_technology_and_a_football_topic_is_not() -> None:
    heat = technology(
        ["wärmepumpe", "heizungsgesetz", "gebäudeenergiegesetz", "habeck", "wärmeplanung"],
        documents=40,
        with_lead_market=22,
        research_documents=None,
        vocabulary=VOCABULARY,
    )
    # 1 - (1 - 22/40) (1 - 1/5) (1 - 0/5) = 0.64: lead-market documents and one seed word
    assert heat.score == pytest.approx(1 - (1 - 0.55) * (1 - 0.2) * (1 - 0.0))
    assert heat.words == ("wärmepumpe",) and heat.research is None
    football = technology(
        ["trainer", "bundesliga", "transfer", "wechsel", "verein"],
        documents=60,
        with_lead_market=1,
        research_documents=None,
        vocabulary=VOCABULARY,
    )
    assert football.score < 0.1 < 0.5 < heat.score
    evidence = heat.evidence()
    assert evidence["lead_market_share"] == 0.55 and evidence["technology_words"] == ["wärmepumpe"]


def test_lead_market_evidence_counts_only_beyond_what_any_document_of_the_window_shows() -> None:
    # Long speeches name a seed by the way: in a window where 60 % of all speeches do, a VAT-cut topic at 62 % is
    # no technology, and a hydrogen topic at 90 % still is; in headlines (3 % base rate) 30 % is strong evidence.
    words = ["mehrwertsteuersenkung", "steuerstaat", "liquidität", "gastronomie", "entlastung"]
    vat_raw = technology(words, documents=50, with_lead_market=31, research_documents=None, vocabulary=VOCABULARY)
    vat = technology(words, documents=50, with_lead_market=31, research_documents=None, vocabulary=VOCABULARY,
                     base_rate=0.6)  # fmt: skip
    assert vat_raw.score == pytest.approx(0.62) and vat_raw.score >= 0.5  # what the raw share said
    assert vat.score == pytest.approx((0.62 - 0.6) / 0.4) and vat.score < 0.1
    hydrogen_words = ["wasserstoff", "elektrolyseur", "stahl", "import", "pipeline"]
    hydrogen = technology(hydrogen_words, documents=40, with_lead_market=36, research_documents=None,
                          vocabulary=VOCABULARY, base_rate=0.6)  # fmt: skip
    assert hydrogen.lead_markets == pytest.approx(0.75) and hydrogen.score >= 0.75
    headlines = technology(words, documents=100, with_lead_market=30, research_documents=None,
                           vocabulary=VOCABULARY, base_rate=0.03)  # fmt: skip
    assert headlines.lead_markets == pytest.approx(0.27 / 0.97)
    evidence = vat.evidence()
    assert evidence["lead_market_raw_share"] == 0.62 and evidence["lead_market_base_rate"] == 0.6
    assert evidence["lead_market_share"] == 0.05
    everything = technology(words, documents=10, with_lead_market=10, research_documents=None,
                            vocabulary=VOCABULARY, base_rate=1.0)  # fmt: skip
    assert everything.lead_markets == 0.0  # a window where every document has evidence tells nothing apart
    with pytest.raises(ValueError, match="base_rate"):
        technology(words, documents=10, with_lead_market=1, research_documents=None, vocabulary=VOCABULARY,
                   base_rate=1.5)  # fmt: skip


def test_patents_and_publications_are_technology_whatever_their_words() -> None:
    patents = technology(["method", "sample", "coverage"], documents=30, with_lead_market=0,
                         research_documents=30, vocabulary=VOCABULARY)  # fmt: skip
    assert patents.score == 1.0 and patents.research == 1.0


def test_everyday_market_words_are_not_technology_evidence_but_cross_cutting_technologies_are() -> None:
    chosen = technology_terms(
        {"de": ["Krankenhaus", "Patient", "Telemedizin", "digitale Gesundheit", "Power-to-Heat", "Schule"]},
        {"de": ["Roboter"]},
    )
    assert chosen == {"Telemedizin", "digitale Gesundheit", "Power-to-Heat", "Roboter"}
