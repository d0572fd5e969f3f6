"""The language step's terms counted per period: the input of term emergence and of a topic's rising terms.

A term is counted as the word-count step sees it (lower case, words joined by ``_``: `models.term_links.term_token`)
and, where a link maps several names to one technology ("wärmepumpe", "heat_pump"), under that one name; a document
counts once per term and period however often it uses the term. Periods are DuckDB's `date_trunc` of the
publication date (weeks start on Monday), the same periods as `models.periods`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from warehouse.db import Warehouse
from warehouse.topics import TECHNOLOGY_EVIDENCE_SQL, register_technology_terms

_TOKEN = "lower(regexp_replace(trim(t.term), '\\s+', '_', 'g'))"


@dataclass(frozen=True)
class EmergenceTermCounts:
    """Documents containing each term per period (terms x periods), with what the technology score needs per term."""

    terms: list[str]
    periods: list[date]
    counts: np.ndarray  # terms x periods
    documents: np.ndarray  # documents per term over the window
    with_lead_market: np.ndarray  # of those, documents whose words hit a technology seed term
    research: np.ndarray  # of those, patents and publications
    kinds: list[list[str]]  # source kinds per term
    window_documents: int = 0  # all documents of the window (the base of the technology evidence)
    window_with_lead_market: int = 0  # of those, documents whose words hit a technology seed term

    @property
    def lead_market_base_rate(self) -> float | None:
        """The share of the window's documents with technology evidence (None for an empty window)."""
        return self.window_with_lead_market / self.window_documents if self.window_documents else None


@dataclass(frozen=True)
class TopicTerms:
    """One topic's terms: documents of the topic with each term per period (terms x periods)."""

    terms: list[str]
    periods: list[date]
    counts: np.ndarray


def _check(granularity: str) -> None:
    if granularity not in ("week", "month", "quarter", "year"):
        raise ValueError(f"unknown granularity {granularity!r}")


def _register_mapping(warehouse: Warehouse, mapping: Mapping[str, str]) -> None:
    table = pa.table({"token": pa.array(list(mapping), pa.string()), "concept": pa.array(list(mapping.values()))})
    warehouse.con.register("_term_links", table)


def term_emergence_counts(
    warehouse: Warehouse,
    start: date,
    end: date,
    granularity: str,
    mapping: Mapping[str, str],
    *,
    technology_terms: Sequence[str] = (),
    min_documents: int = 3,
    research_kinds: tuple[str, ...] = ("patent", "publication"),
) -> EmergenceTermCounts:
    """Every term with at least `min_documents` documents in one period of ``[start, end]``, counted per period,
    with what the technology score needs (the general reader of the counts is `warehouse.term_counts`).

    The counts per period and kind come from `term_days`, which the language step keeps up to date as it writes
    (`warehouse.term_counts`), so a run reads a few rows per term and day instead of recounting `doc_terms`. Two
    things are counted per document, because a sum of daily counts cannot give them: a technology whose names a
    link joins (a document naming "KI" and "künstliche Intelligenz" counts once), and the documents with technology
    evidence. Days are the publication days the language step recorded (`doc_language.published`).
    """
    _check(granularity)
    con = warehouse.con
    _register_mapping(warehouse, mapping or {"": ""})
    register_technology_terms(warehouse, technology_terms)
    try:
        rows = con.execute(
            f"""
            with raw_terms as (select distinct term from term_days t where t.day between ? and ?),
            linked as (
                select t.term as raw, m.concept from raw_terms t join _term_links m on m.token = {_TOKEN}
            ),
            days as (
                -- a term no link joins to another: its rows in term_days, summed per period and kind
                select {_TOKEN} as term, date_trunc('{granularity}', t.day)::date as period, t.kind, t.documents
                from term_days t anti join linked l on l.raw = t.term
                where t.day between ? and ?
                union all
                -- a linked technology: its documents counted once, however many of its names one document uses
                select l.concept, date_trunc('{granularity}', d.published)::date, d.kind, count(distinct t.doc_id)
                from doc_terms t join linked l on l.raw = t.term join doc_language d using (doc_id)
                where d.published between ? and ?
                group by all
            ),
            per_kind as (
                select term, period, kind, sum(documents)::bigint as n from days group by all having sum(documents) > 0
            ),
            per_period as (select term, period, sum(n)::bigint as n from per_kind group by all),
            wanted as (select term from per_period group by term having max(n) >= ?),
            markets as ({TECHNOLOGY_EVIDENCE_SQL}),
            evidence as (
                select coalesce(m.concept, {_TOKEN}) as term, count(distinct t.doc_id) as n
                from doc_terms t join doc_language l using (doc_id) semi join markets using (doc_id)
                left join _term_links m on m.token = {_TOKEN}
                where l.published between ? and ?
                group by 1
            ),
            kinds as (
                select term, list(distinct kind order by kind) as kinds, sum(n) as documents,
                       coalesce(sum(n) filter (where kind in (select unnest(?::varchar[]))), 0) as research
                from per_kind semi join wanted using (term) group by term
            )
            select k.term, k.kinds, k.documents, coalesce(e.n, 0), k.research,
                   (select list(struct_pack(p := pp.period, n := pp.n)) from per_period pp where pp.term = k.term)
            from kinds k left join evidence e using (term)
            order by k.term
            """,
            [start, end, start, end, start, end, min_documents, start, end, list(research_kinds)],
        ).fetchall()
        window = con.execute(
            f"""
            select count(*), count(*) filter (where doc_id in (select doc_id from ({TECHNOLOGY_EVIDENCE_SQL})))
            from doc_language where published between ? and ?
            """,
            [start, end],
        ).fetchall()[0]
    finally:
        con.unregister("_term_links")
        con.unregister("_technology_terms")
    periods = sorted({cell["p"] for row in rows for cell in row[5]})
    column = {p: i for i, p in enumerate(periods)}
    counts = np.zeros((len(rows), len(periods)))
    for i, row in enumerate(rows):
        for cell in row[5]:
            counts[i, column[cell["p"]]] = cell["n"]
    return EmergenceTermCounts(
        terms=[str(r[0]) for r in rows],
        periods=periods,
        counts=counts,
        documents=np.array([r[2] for r in rows], dtype=float),
        with_lead_market=np.array([r[3] for r in rows], dtype=float),
        research=np.array([r[4] for r in rows], dtype=float),
        kinds=[list(r[1]) for r in rows],
        window_documents=int(window[0]) if window else 0,
        window_with_lead_market=int(window[1]) if window else 0,
    )


def definition_snippets(warehouse: Warehouse, start: date, end: date, pattern: str) -> list[tuple[str, str]]:
    """(doc_id, snippet) for every match of `pattern` in the titles and texts of the documents published in
    ``[start, end]``: DuckDB's regular expressions find the few abbreviation definitions, so that only they, not
    every text, reach Python (`models.acronyms`)."""
    rows = warehouse.con.execute(
        """
        select doc_id, unnest(regexp_extract_all(coalesce(title, '') || ' ' || coalesce(text, ''), ?)) as snippet
        from documents where published between ? and ? and contains(coalesce(title, '') || coalesce(text, ''), '(')
        """,
        [pattern, start, end],
    ).fetchall()
    return [(str(d), str(s)) for d, s in rows]


def window_term_tokens(warehouse: Warehouse, start: date, end: date) -> set[str]:
    """The tokens of every term the language step counted in ``[start, end]`` (`term_days`)."""
    rows = warehouse.con.execute(
        f"select distinct {_TOKEN} from term_days t where t.day between ? and ?", [start, end]
    ).fetchall()
    return {str(r[0]) for r in rows}


def linked_name_documents(
    warehouse: Warehouse, start: date, end: date, mapping: Mapping[str, str]
) -> dict[str, tuple[int, dict[str, int]]]:
    """Per linked technology (`mapping`'s concepts) in ``[start, end]``: its documents, and how many name each of
    its names (as the mapping's tokens), so that it can be shown by the names the documents use
    (`models.term_links.shown_name`)."""
    con = warehouse.con
    _register_mapping(warehouse, mapping or {"": ""})
    try:
        rows = con.execute(
            f"""
            with raw_terms as (select distinct term from term_days t where t.day between ? and ?),
            linked as (
                select t.term as raw, m.token, m.concept from raw_terms t join _term_links m on m.token = {_TOKEN}
            ),
            docs as (
                select l.concept, l.token, t.doc_id
                from doc_terms t join linked l on l.raw = t.term join doc_language d using (doc_id)
                where d.published between ? and ?
            )
            select concept, token, count(distinct doc_id) from docs group by grouping sets ((concept, token), (concept))
            """,
            [start, end, start, end],
        ).fetchall()
    finally:
        con.unregister("_term_links")
    found: dict[str, tuple[int, dict[str, int]]] = {}
    for concept, token, n in rows:
        total, names = found.get(str(concept), (0, {}))
        if token is None:
            total = int(n)
        else:
            names[str(token)] = int(n)
        found[str(concept)] = (total, names)
    return found


def topic_term_counts(
    warehouse: Warehouse,
    fit_run_id: int,
    start: date,
    end: date,
    granularity: str,
    mapping: Mapping[str, str],
    *,
    min_documents: int = 3,
) -> dict[int, TopicTerms]:
    """Per topic of a fit: its terms with at least `min_documents` of the topic's documents, counted per period."""
    _check(granularity)
    con = warehouse.con
    _register_mapping(warehouse, mapping or {"": ""})
    try:
        rows = con.execute(
            f"""
            with members as (
                select dt.topic_id, d.doc_id, date_trunc('{granularity}', d.published)::date as period
                from document_topics dt join documents d using (doc_id)
                where dt.run_id = ? and d.published between ? and ?
            ),
            docs as (
                select distinct mb.topic_id, coalesce(m.concept, {_TOKEN}) as term, mb.doc_id, mb.period
                from members mb join doc_terms t using (doc_id)
                left join _term_links m on m.token = {_TOKEN}
            ),
            wanted as (select topic_id, term from docs group by all having count(*) >= ?)
            select d.topic_id, d.term, d.period, count(*) from docs d join wanted w using (topic_id, term)
            group by all order by all
            """,
            [fit_run_id, start, end, min_documents],
        ).fetchall()
        sizes = con.execute(
            f"""
            select dt.topic_id, date_trunc('{granularity}', d.published)::date, count(*)
            from document_topics dt join documents d using (doc_id)
            where dt.run_id = ? and d.published between ? and ? group by all
            """,
            [fit_run_id, start, end],
        ).fetchall()
    finally:
        con.unregister("_term_links")
    topic_sizes: dict[int, dict[date, int]] = {}
    for topic_id, period, n in sizes:
        topic_sizes.setdefault(int(topic_id), {})[period] = int(n)
    by_topic: dict[int, dict[str, dict[date, int]]] = {}
    for topic_id, term, period, n in rows:
        by_topic.setdefault(int(topic_id), {}).setdefault(str(term), {})[period] = int(n)
    result = {}
    for topic_id, terms in by_topic.items():
        periods = sorted(topic_sizes.get(topic_id, {}))
        column = {p: i for i, p in enumerate(periods)}
        names = sorted(terms)
        matrix = np.zeros((len(names), len(periods)))
        for i, name in enumerate(names):
            for period, n in terms[name].items():
                matrix[i, column[period]] = n
        result[topic_id] = TopicTerms(names, periods, matrix)
    return result


TERM_SIGNAL_COLUMNS = (
    "run_id", "as_of", "granularity", "term", "documents", "score", "signal_class", "trend", "growth", "mk_tau",
    "mk_p", "burst", "escore", "first_seen", "is_new", "technology", "is_technology", "kinds", "recent_series",
    "evidence",
)  # fmt: skip


def write_term_signals(warehouse: Warehouse, rows: list[dict]) -> int:
    """Insert `term_signals` rows (dicts with the table's columns; `evidence` a dict) as one Arrow batch."""
    if not rows:
        return 0
    prepared = {column: [row.get(column) for row in rows] for column in TERM_SIGNAL_COLUMNS}
    prepared["evidence"] = [json.dumps(e or {}, default=str) for e in prepared["evidence"]]
    table = pa.table(prepared)
    warehouse.con.register("_incoming_terms", table)
    try:
        warehouse.con.execute(
            f"insert into term_signals ({', '.join(TERM_SIGNAL_COLUMNS)}) "
            f"select {', '.join(c if c != 'evidence' else 'evidence::json' for c in TERM_SIGNAL_COLUMNS)} "
            "from _incoming_terms"
        ).fetchall()
    finally:
        warehouse.con.unregister("_incoming_terms")
    return len(rows)
