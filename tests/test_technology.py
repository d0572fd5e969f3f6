"""The technology score: a football coach's transfer ranks below heat pumps, and every part has its evidence."""

from __future__ import annotations

import numpy as np
import pytest

from models.technology import (
    described_words,
    load_vocabulary,
    seed_label_frequency,
    source_technology_shares,
    technology,
    technology_terms,
)
from models.topic_words import vocabulary_matrix

VOCABULARY = load_vocabulary(["Wärmepumpe", "Elektrolyseur", "künstliche Intelligenz", "KI"])


def test_seed_words_compounds_and_technical_heads_are_recognised() -> None:
    assert VOCABULARY.is_seed("wärmepumpe") and VOCABULARY.is_seed("künstliche_intelligenz")
    assert VOCABULARY.is_seed("wasserstoffelektrolyseur")  # a compound ending in a seed
    assert VOCABULARY.is_seed("wärmepumpe (heat_pump)")  # a linked form
    assert not VOCABULARY.is_seed("trainer")
    assert VOCABULARY.is_technical("batteriespeicher") and VOCABULARY.is_technical("solid-state_battery")
    assert VOCABULARY.is_technical("roboter") and not VOCABULARY.is_technical("trainerwechsel")
    # topic words reach the score as shown: a multi-word seed and an English head noun count in that form too
    assert VOCABULARY.is_seed("künstliche intelligenz (ai)") and VOCABULARY.is_seed("Künstliche Intelligenz")
    assert VOCABULARY.is_technical("solid-state battery") and VOCABULARY.is_technical("wärmepumpe (heat pump)")
    assert not VOCABULARY.is_seed("künstliche") and not VOCABULARY.is_technical("battery pack price")


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


def test_only_words_a_tenth_of_a_topics_documents_use_are_evidence_of_what_it_is_about() -> None:
    # a heap of 1,209 mixed teasers: its best c-TF-IDF words are technical, but each is in a few of its documents
    words, shares = ["smartphone", "roboter", "elektrolyseur", "trainer", "sieg"], [0.03, 0.02, 0.05, 0.04, 0.03]
    common = {"documents": 1209, "with_lead_market": 40, "research_documents": None, "vocabulary": VOCABULARY}
    heap = technology(words, **common, base_rate=0.03, shares=shares, min_share=0.1)
    counted_anyway = technology(words, **common, base_rate=0.03)
    assert heap.words == () and heap.score < 0.01 < 0.5 < counted_anyway.score
    # a frequent technical word still counts, as one of the five top words (not one of the one that is frequent)
    car_words, car_shares = ["auto", "unfall", "polizei", "verletzt", "fahrer"], [0.4, 0.09, 0.08, 0.05, 0.03]
    car = technology(car_words, **common, shares=car_shares, min_share=0.1)
    assert car.words == ("auto",) and car.technical_words == pytest.approx(1 / 5)
    # without one share per word the words count as they are
    assert technology(words, **common, base_rate=0.03, shares=[0.5], min_share=0.1).score == counted_anyway.score


def test_the_words_its_label_is_made_of_are_evidence_though_rarer_words_are_more_distinctive() -> None:
    """A topic of 136 German front-page headlines on machine learning (the news backtest as of 2022-12-31): its best
    c-TF-IDF words are rare, its label reads "lernen / künstliche intelligenz (ai)". The seed in the label counts."""
    top = ["lernen", "programmieren", "learning", "maschinelles_lernen", "algorithmus", "dnssec"]
    top_shares = [0.40, 0.06, 0.06, 0.05, 0.04, 0.01]
    frequent, frequent_shares = ["lernen", "künstliche_intelligenz"], [0.40, 0.21]
    words, shares = described_words(top, top_shares, frequent, frequent_shares)
    assert words[:3] == ["lernen", "künstliche_intelligenz", "programmieren"] and shares[:2] == [0.40, 0.21]
    assert len(words) == len(set(words)) == 7
    common = {"documents": 136, "with_lead_market": 38, "research_documents": None, "vocabulary": VOCABULARY,
              "base_rate": 0.034, "min_share": 0.1}  # fmt: skip
    before = technology(top, **common, shares=top_shares)
    after = technology(words, **common, shares=shares)
    assert before.words == () and after.words == ("künstliche_intelligenz",)
    assert after.seed_words == pytest.approx(1 / 5) and after.score > before.score
    # a car topic whose one frequent word is "auto" still keeps one technical word of five
    everyday = ["unfall", "polizei", "verletzt", "fahrer", "blitzer"]
    car, car_shares = described_words(everyday, [0.09] * 5, ["auto"], [0.4])
    assert technology(car, **common, shares=car_shares).technical_words == pytest.approx(1 / 5)


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


def _headlines(seed: int = 0) -> tuple[list[list[str]], list[str], np.ndarray]:
    """Tokenised headlines of two publishers: a technology one and a general one.

    Technology headlines share gadget words; one in four also names the seed "wärmepumpe". General headlines are
    about football and politics and name no seed.
    """
    rng = np.random.default_rng(seed)
    tech_words = ["update", "smartphone", "akku", "display", "app", "chip", "software", "router"]
    other_words = ["trainer", "bundesliga", "koalition", "wahl", "polizei", "urteil", "sieg", "kanzler"]
    tokens, sources, labelled = [], [], []
    for i in range(1_200):
        tech = i < 500
        words = list(rng.choice(tech_words if tech else other_words, size=4))
        named = tech and rng.random() < 0.25
        if named:
            words.append("wärmepumpe")
        tokens.append(words)
        sources.append("technews" if tech and i % 5 else "general")  # four in five technology headlines
        labelled.append(named)
    return tokens, sources, np.array(labelled)


def test_the_label_frequency_is_the_share_of_technology_documents_that_name_a_seed() -> None:
    tokens, _, labelled = _headlines()
    counts, vocabulary = vocabulary_matrix(tokens)
    frequency = seed_label_frequency(counts, vocabulary, labelled, VOCABULARY)
    # 500 technology headlines, 25 % of them name the seed: g(x) is about 0.25 for each, so c is about 0.25;
    # had the seed itself been a feature, g would have learnt the labelling rule and c would be near 1.
    assert frequency is not None and 0.15 < frequency < 0.35
    assert seed_label_frequency(counts[:40], vocabulary, labelled[:40], VOCABULARY) is None  # too few to learn
    with pytest.raises(ValueError, match="rows"):
        seed_label_frequency(counts, vocabulary, labelled[:10], VOCABULARY)


def test_a_technology_publishers_topic_is_technology_though_few_of_its_headlines_name_a_seed() -> None:
    tokens, sources, labelled = _headlines()
    counts, vocabulary = vocabulary_matrix(tokens)
    frequency = seed_label_frequency(counts, vocabulary, labelled, VOCABULARY)
    shares = source_technology_shares(sources, labelled, frequency)
    assert shares is not None
    # technews: 400 headlines, all technology, a quarter name the seed: (hits + 1) / (400 + 1 / base) / c is about 1
    assert shares["technews"] > 0.8 and shares["general"] < 0.4
    assert source_technology_shares(["one"] * len(sources), labelled, frequency) is None  # one source: nothing
    assert source_technology_shares(sources, labelled, None) is None
    per_document = np.array([shares[s] for s in sources])
    gadgets = technology(
        ["update", "smartphone", "akku", "display", "app"],
        documents=400,
        with_lead_market=int(labelled[:400].sum()),
        research_documents=None,
        vocabulary=VOCABULARY,
        base_rate=float(labelled.mean()),
        source_share=float(per_document[[i for i in range(500) if i % 5]].mean()),
        source_base=float(per_document.mean()),
    )
    football = technology(
        ["trainer", "bundesliga", "sieg", "wahl", "urteil"],
        documents=700,
        with_lead_market=0,
        research_documents=None,
        vocabulary=VOCABULARY,
        base_rate=float(labelled.mean()),
        source_share=float(per_document[500:].mean()),
        source_base=float(per_document.mean()),
    )
    assert gadgets.score >= 0.5 > football.score
    assert gadgets.sources is not None and gadgets.sources > 0.5 and football.sources == 0.0
    evidence = gadgets.evidence()
    assert evidence["source_share"] == round(gadgets.sources, 4)
    assert evidence["source_base_rate"] == round(float(per_document.mean()), 4)
    alone = technology(["update"], documents=10, with_lead_market=0, research_documents=None, vocabulary=VOCABULARY)
    assert alone.sources is None and alone.evidence()["source_share"] is None


def test_the_topic_stage_gives_each_document_its_sources_share_and_leaves_research_to_the_research_part() -> None:
    from datetime import date

    from models.topics import TopicFit
    from pipeline.topic_stage import source_technology
    from warehouse.topics import WindowDocument

    tokens, sources, labelled = _headlines()
    counts, vocabulary = vocabulary_matrix(tokens)
    ids = [f"d{i:05d}" for i in range(len(tokens))]
    fit = TopicFit(ids, np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids)), word_counts=counts, words=vocabulary)
    kinds = ["patent" if i % 50 == 7 else "news" for i in range(len(ids))]  # a few patents among them
    documents = [
        WindowDocument(doc_id, kind, date(2023, 1, 1), None, None, source, "de")
        for doc_id, kind, source in zip(ids, kinds, sources, strict=True)
    ]
    with_market = {doc_id for doc_id, hit in zip(ids, labelled, strict=True) if hit}
    shares = source_technology(fit, documents, with_market, VOCABULARY)
    assert shares is not None and len(shares) == len(ids)
    news = np.array([k == "news" for k in kinds])
    technews = np.array([s == "technews" for s in sources])
    assert shares[news & technews].min() > 0.8 > 0.4 > shares[news & ~technews].max()
    assert np.allclose(shares[~news], shares[news].mean())  # patents: no excess either way
    one_source = [WindowDocument(d.doc_id, d.kind, d.published, None, None, "wire", "de") for d in documents]
    assert source_technology(fit, one_source, with_market, VOCABULARY) is None
