"""A real, migrated warehouse holding a handful of hand-written scored topics, for the report and alert tests.

The rows go into the real tables (documents, topics, document_topics, signals, topic_series, topic_lead_markets,
doc_places, doc_actors, lead_markets, runs), so the report reads them through the real views and queries; one topic
carries hostile text and one document a hostile title and link. Fitting topics would take minutes on 2 cores;
`tests/test_demo.py` covers the fitted path end to end.
"""

from __future__ import annotations

from datetime import date

from warehouse import Warehouse

HOSTILE_TITLE = '<script>alert("x")</script> Wasserstoff & <b>Stahl</b>'
HOSTILE_URL = "javascript:alert(1)"

TOPICS = [
    # topic_id, label, top_terms, score, class, trend, growth, first_seen, markets, series
    (
        1,
        "Wasserstoff / Elektrolyseur",
        ["Wasserstoff", "Elektrolyseur", "grüner Wasserstoff"],
        3.2,
        "strong",
        "rising",
        4.0,
        date(2020, 1, 1),
        ["Ressourceneffizienz", "Mobilität"],
        [1, 2, 5, 9, 14],
    ),
    (
        2,
        "Wärmepumpe / Heizung",
        ["Wärmepumpe", "Heizungsgesetz"],
        2.1,
        "weak",
        "rising",
        3.0,
        date(2022, 1, 1),
        ["Urbanes Bauen & Wohnen"],
        [0, 0, 1, 2, 4],
    ),
    (
        3,
        "Corona / Pandemie",
        ["Pandemie", "Impfstoff"],
        0.4,
        "noise",
        "fading",
        0.3,
        date(2020, 1, 1),
        ["Gesundheit"],
        [30, 20, 10, 5, 3],
    ),
    (
        4,
        '=HYPERLINK("http://evil") Stahl',
        ["Stahl", "Direktreduktion"],
        1.2,
        "weak",
        "stable",
        1.1,
        date(2019, 1, 1),
        ["Industrieller Kern & Unternehmerische Dienste"],
        [5, 5, 6, 5, 6],
    ),
]
MARKETS = [
    ("industrieller_kern", "Industrieller Kern & Unternehmerische Dienste", "Industrial Core & Business Services"),
    ("gesundheit", "Gesundheit", "Health"),
    ("ressourceneffizienz", "Ressourceneffizienz", "Resource Efficiency"),
    ("mobilitaet", "Mobilität", "Mobility"),
    ("urbanes_bauen", "Urbanes Bauen & Wohnen", "Urban Construction & Housing"),
]
MARKET_ID = {name: market_id for market_id, name, _ in MARKETS}
FIT_RUN = 1
# documents: doc_id, topic_id, title, url, published, kind, source, similarity, places, actors
DOCUMENTS = [
    ("bt:1", 1, HOSTILE_TITLE, HOSTILE_URL, date(2023, 3, 1), "policy", "bundestag", 0.9, ["Duisburg", "Essen"],
     ["thyssenkrupp"]),
    ("news:2", 1, "Elektrolyseur in Duisburg", "https://example.org/a?b=1", date(2023, 5, 1), "news", "waz", 0.8,
     ["Duisburg"], ["Stadtwerke Duisburg"]),
    ("bt:3", 2, "Wärmepumpen im Bestand", "https://example.org/w", date(2023, 6, 1), "policy", "bundestag", 0.7,
     ["Bochum"], []),
]  # fmt: skip


def fill_scored_warehouse(wh: Warehouse, run_id: int = 20, as_of: date = date(2023, 12, 31)) -> None:
    """Write the topics above as one fit (run 1) scored by one emergence run (`run_id`) as of `as_of`, yearly."""
    con = wh.con
    con.execute("insert into runs (run_id, command, stage, started_at, status) values (?, 'analyze', 'topics', "
                "now(), 'ok')", [FIT_RUN])  # fmt: skip
    con.execute("insert into runs (run_id, command, stage, started_at, status) values (?, 'analyze', 'emergence', "
                "now(), 'ok')", [run_id])  # fmt: skip
    con.executemany("insert into lead_markets (lead_market_id, name_de, name_en) values (?, ?, ?)", MARKETS)
    for topic_id, label, terms, score, signal_class, trend, growth, first_seen, markets, series in TOPICS:
        con.execute(
            """insert into topics (topic_id, label, top_terms, space, centroid, size, first_seen, first_seen_run_id,
                                   last_seen_run_id, status, updated_at)
               values (?, ?, ?, 'tfidf-svd#1', [1.0, 0.0], ?, ?, ?, ?, 'active', now())""",
            [topic_id, label, terms, sum(series), first_seen, FIT_RUN, FIT_RUN],
        )
        con.execute(
            """insert into signals (run_id, fit_run_id, as_of, granularity, topic_id, score, signal_class, trend,
                                    growth, kinds_present, evidence)
               values (?, ?, ?, 'year', ?, ?, ?, ?, ?, ['policy'], '{}')""",
            [run_id, FIT_RUN, as_of, topic_id, score, signal_class, trend, growth],
        )
        technology = 0.3 if topic_id == 3 else 0.8  # the pandemic topic is not a technology here
        con.execute(
            """insert into topic_versions (fit_run_id, topic_id, label, top_terms, size, technology, is_technology,
                                           technology_evidence)
               values (?, ?, ?, ?, ?, ?, ?, '{}')""",
            [FIT_RUN, topic_id, label, terms, sum(series), technology, technology >= 0.5],
        )
        for rank, name in enumerate(markets, start=1):
            con.execute(
                "insert into topic_lead_markets values (?, ?, ?, 1, 1.0, ?)", [run_id, topic_id, MARKET_ID[name], rank]
            )
        for back, count in enumerate(reversed(series)):
            con.execute(
                "insert into topic_series values (?, ?, ?, 'year', ?, 'all', 'all', ?, 100, ?)",
                [run_id, FIT_RUN, topic_id, date(as_of.year - back, 1, 1), count, count / 100],
            )
    for doc_id, topic_id, title, url, published, kind, source, similarity, places, actors in DOCUMENTS:
        con.execute(
            """insert into documents (doc_id, kind, source, title, text, url, published, content_hash, first_run_id,
                                      last_run_id, inserted_at, updated_at)
               values (?, ?, ?, ?, 'text', ?, ?, ?, 1, 1, now(), now())""",
            [doc_id, kind, source, title, url, published, doc_id],
        )
        con.execute("insert into document_topics values (?, ?, ?, ?)", [doc_id, topic_id, FIT_RUN, similarity])
        for place in places:
            con.execute("insert into doc_places (doc_id, municipality) values (?, ?)", [doc_id, place])
        for actor in actors:
            con.execute("insert into doc_actors (doc_id, actor) values (?, ?)", [doc_id, actor])
        con.execute("insert into doc_lead_markets (doc_id, lead_market_id, score) values (?, ?, 0.8)",
                    [doc_id, "ressourceneffizienz" if topic_id == 1 else "urbanes_bauen"])  # fmt: skip
