"""Small SQL stand-ins for the analyst views, for report tests that must not depend on fitting topics.

The real views come from the topics migration; these tables have the same names and columns, hold a
handful of hand-written topics (one with hostile text), and let the report's rendering and escaping
be tested in milliseconds. `tests/test_demo.py` covers the real path end to end.
"""

from __future__ import annotations

from datetime import date

import duckdb

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
    (0, "Industrieller Kern & Unternehmerische Dienste", "Industrial Core & Business Services"),
    (1, "Gesundheit", "Health"),
    (2, "Ressourceneffizienz", "Resource Efficiency"),
    (3, "Mobilität", "Mobility"),
    (4, "Urbanes Bauen & Wohnen", "Urban Construction & Housing"),
]


def create_view_stand_ins(con: duckdb.DuckDBPyConnection, run_id: int = 1, as_of: date = date(2023, 12, 31)) -> None:
    """Create tables named like the analyst views and fill them with the topics above."""
    con.execute(
        """
        create table v_emerging_topics (topic_id bigint, label varchar, top_terms varchar[], score double,
          signal_class varchar, trend varchar, growth double, first_seen date, lead_markets varchar[],
          kinds_present varchar[], recent_series integer[], as_of date, granularity varchar, run_id bigint)
        """
    )
    for t in TOPICS:
        con.execute(
            "insert into v_emerging_topics values (?, ?, ?, ?, ?, ?, ?, ?, ?, ['policy'], ?, ?, 'year', ?)",
            [*t, as_of, run_id],
        )
    con.execute(
        """
        create table v_lead_market_overview (lead_market_id integer, name_de varchar, name_en varchar,
          documents bigint, topics bigint, weak_signals bigint, strong_signals bigint, top_topic_id bigint,
          top_topic_label varchar)
        """
    )
    for m in MARKETS:
        con.execute("insert into v_lead_market_overview values (?, ?, ?, 10, 1, 1, 0, 1, 'x')", list(m))
    con.execute(
        """
        create table v_topic_evidence (topic_id bigint, doc_id varchar, title varchar, url varchar,
          published date, kind varchar, source varchar, probability double, places varchar[], actors varchar[])
        """
    )
    con.execute(
        "insert into v_topic_evidence values (1, 'bt:1', ?, ?, DATE '2023-03-01', 'policy', 'bundestag', 0.9, "
        "['Duisburg', 'Essen'], ['thyssenkrupp'])",
        [HOSTILE_TITLE, HOSTILE_URL],
    )
    con.execute(
        "insert into v_topic_evidence values (1, 'news:2', 'Elektrolyseur in Duisburg', 'https://example.org/a?b=1', "
        "DATE '2023-05-01', 'news', 'waz', 0.8, ['Duisburg'], ['Stadtwerke Duisburg'])"
    )
    con.execute(
        "insert into v_topic_evidence values (2, 'bt:3', 'Wärmepumpen im Bestand', 'https://example.org/w', "
        "DATE '2023-06-01', 'policy', 'bundestag', 0.7, ['Bochum'], [])"
    )
