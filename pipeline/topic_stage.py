"""The topics stage of `foresight analyze`: fit BERTopic over the analysis window and keep topic ids stable.

The window's documents, their stored vectors and the language step's terms go into `models.topics.fit_topics`; the
fit's topics are linked to the stable topics already in the warehouse by centroid cosine (`models.topics.link_topics`)
so that a topic keeps its id across scans. The same window, documents, terms and settings as the last fit give the
same fit, so that fit is reused instead of computed again (a second `analyze` with nothing new is quick).
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from typing import TYPE_CHECKING

import numpy as np

from models.technology import (
    RESEARCH_KINDS,
    TechnologyVocabulary,
    described_words,
    load_vocabulary,
    seed_label_frequency,
    source_technology_shares,
    technology,
    technology_terms,
)
from models.topics import TopicConfig, TopicError, TopicFit, fit_topics, link_topics, topic_document
from pipeline.config import Config
from warehouse.db import Warehouse
from warehouse.runs import Run
from warehouse.topics import (
    KnownTopic,
    TopicRow,
    TopicVersion,
    WindowDocument,
    document_terms,
    documents_with_technology_evidence,
    known_topics,
    last_fit,
    load_embeddings,
    window_documents,
    window_inventory,
    write_boilerplate,
    write_fit,
    write_topic_versions,
)

if TYPE_CHECKING:
    from pipeline.analyze import AnalyzeResult, Window


def lead_market_seed_words() -> tuple[str, ...]:
    """Every seed term of the nine lead markets and the cross-cutting technologies, German and English."""
    from models.lead_markets import load_lead_markets

    data = load_lead_markets()
    groups = [m.seeds for m in data.markets] + [c.seeds for c in data.cross_cutting]
    return tuple(sorted({term for seeds in groups for terms in seeds.values() for term in terms}))


def topic_config(config: Config, bilingual_space: bool = False) -> TopicConfig:
    """The topic model's settings, with the lead markets' seed words added when `[topics] lead_market_seeds`.

    In a bilingual space (TF-IDF whose lexicon joined German and English words, `models.lexicon`) the vectors are
    centred per language even where `centre_per_language` is off: the words without a translation still carry a
    language direction, which per-language centring removes (docs/topics.md: 70 -> 76 % of the Debian pairs in one
    topic). A space of one language is centred as configured, so single-language warehouses are unchanged.
    """
    model = config.topics.model
    if bilingual_space and model.centre and not model.centre_per_language:
        model = replace(model, centre_per_language=True)
    if config.topics.lead_market_seeds:
        model = replace(model, seed_words=tuple(sorted({*model.seed_words, *lead_market_seed_words()})))
    return model


def fit_key(
    config: Config, model: TopicConfig, space: str, window: Window, doc_ids: Sequence[str], n_terms: int
) -> str:
    """Same key = same documents, terms, embedding space and settings: the fit would come out the same."""
    payload = json.dumps(
        [space, asdict(model), config.topics.link_threshold, [window.start.isoformat(), window.as_of.isoformat()],
         n_terms],
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(payload.encode())
    for doc_id in doc_ids:
        digest.update(doc_id.encode() + b"\n")
    return digest.hexdigest()[:24]


def fit_window(warehouse: Warehouse, config: Config, window: Window, run: Run, result: AnalyzeResult) -> None:
    """Fit (or reuse) the window's topics, link them to the stable ids and store the fit with its run's end."""
    from pipeline.analyze import AnalyzeError

    space = result.space or config.topics.backend
    model = topic_config(config, result.bilingual_space)
    # The key is decided from ids and counts alone, so that a run with nothing new reads no vectors and no texts.
    embedded, n_terms = window_inventory(warehouse, space, window.start, window.as_of)
    key = fit_key(config, model, space, window, embedded, n_terms)
    run.update_details({"fit_key": key, "window_start": window.start.isoformat(), "as_of": window.as_of.isoformat()})
    result.window_documents = len(embedded)
    previous = last_fit(warehouse)
    if previous and previous.fit_key == key:
        result.fit_run_id, result.fit_reused, result.topics = previous.run_id, True, previous.topics
        run.counts = {"reused": True, "fit_run_id": previous.run_id, "documents": len(embedded)}
        return
    documents = window_documents(warehouse, window.start, window.as_of)
    ids, vectors = load_embeddings(warehouse, space, [d.doc_id for d in documents])
    terms = document_terms(warehouse, ids)
    by_id = {d.doc_id: d for d in documents}
    texts = [
        topic_document(terms.get(doc_id, []), by_id[doc_id].title, by_id[doc_id].text, by_id[doc_id].language)
        for doc_id in ids
    ]
    started = time.perf_counter()
    try:
        fit = fit_topics(
            ids,
            texts,
            vectors,
            model,
            sources=[by_id[doc_id].source for doc_id in ids],
            languages=[by_id[doc_id].language for doc_id in ids],
        )
    except TopicError as exc:
        raise AnalyzeError(f"topics as of {window.as_of}: {exc}") from None
    fit_seconds = time.perf_counter() - started
    known, known_centroids = _known_centroids(warehouse, space)
    numbers = [t.fit_topic for t in fit.topics]
    links = link_topics(
        np.vstack([t.centroid for t in fit.topics]) if fit.topics else np.zeros((0, 1)),
        numbers,
        known_centroids,
        config.topics.link_threshold,
    )
    primary = {link.fit_topic: link for link in links if link.relation != "merged"}
    rows = []
    for topic in fit.topics:
        link = primary[topic.fit_topic]
        published = [by_id[fit.doc_ids[i]].published for i in topic.members]
        rows.append(
            TopicRow(
                fit_topic=topic.fit_topic,
                topic_id=known[link.known].topic_id if link.known is not None else None,
                relation=link.relation,
                similarity=link.similarity,
                label=topic.label,
                top_terms=topic.top_terms,
                term_weights=topic.term_weights,
                representative_doc_ids=topic.representative_doc_ids,
                centroid=topic.centroid,
                size=len(topic.members),
                first_seen=min(published),
            )
        )
    continued_id = {r.fit_topic: r.topic_id for r in rows if r.topic_id is not None}
    merges = [
        (link.fit_topic, known[link.known].topic_id, continued_id[link.fit_topic], link.similarity or 0.0)
        for link in links
        if link.relation == "merged" and link.known is not None and link.fit_topic in continued_id
    ]
    assignments = [
        (fit.doc_ids[i], int(fit.assignments[i]), float(fit.similarities[i]))
        for i in range(len(fit.doc_ids))
        if fit.assignments[i] >= 0
    ]
    versions = describe_fit(warehouse, config, fit, by_id)
    with warehouse.transaction():
        stable = write_fit(warehouse, run.id, space, rows, merges, assignments)
        write_topic_versions(warehouse, run.id, [replace(v, topic_id=stable[v.topic_id]) for v in versions])
        write_boilerplate(
            warehouse, run.id, [asdict(b) | {"sources": list(b.sources)} for b in fit.boilerplate.values()]
        )
        run.finish(
            counts={
                "documents": len(ids),
                "topics": len(rows),
                "new": sum(r.relation == "new" for r in rows),
                "continued": sum(r.relation == "continued" for r in rows),
                "merged": len(merges),
                "assigned": len(assignments),
                "outliers": len(ids) - len(assignments),
                "technologies": sum(v.is_technology for v in versions),
                "boilerplate_words": len(fit.boilerplate),
                "fit_seconds": round(fit_seconds, 3),
                "link_write_seconds": round(time.perf_counter() - started - fit_seconds, 3),
            }
        )
    result.fit_run_id = run.id
    result.topics, result.new_topics = run.counts["topics"], run.counts["new"]
    result.continued_topics, result.merged_topics = run.counts["continued"], run.counts["merged"]


@functools.lru_cache(maxsize=1)
def technology_seed_terms() -> frozenset[str]:
    """The seed terms that name technologies (`models.technology.technology_terms`), as written."""
    from models.lead_markets import load_lead_markets

    data = load_lead_markets()
    markets: dict[str, list[str]] = {}
    for market in data.markets:
        for lang, terms in market.seeds.items():
            markets.setdefault(lang, []).extend(terms)
    cross: dict[str, list[str]] = {}
    for tech in data.cross_cutting:
        for lang, terms in tech.seeds.items():
            cross.setdefault(lang, []).extend(terms)
    return technology_terms(markets, cross)


@functools.lru_cache(maxsize=1)
def technology_vocabulary() -> TechnologyVocabulary:
    """The technology seed terms and the technical heads, to judge words."""
    return load_vocabulary(technology_seed_terms())


def describe_fit(
    warehouse: Warehouse, config: Config, fit: TopicFit, by_id: Mapping[str, WindowDocument]
) -> list[TopicVersion]:
    """Each fit topic's words, label and technology score (`topic_id` is still the fit's own topic number)."""
    with_market = documents_with_technology_evidence(warehouse, fit.doc_ids, sorted(technology_seed_terms()))
    research_in_window = any(d.kind in RESEARCH_KINDS for d in by_id.values())
    base_rate = len(with_market) / len(fit.doc_ids) if fit.doc_ids else None  # evidence any document shows
    vocabulary = technology_vocabulary()
    source_of_document = source_technology(fit, [by_id[d] for d in fit.doc_ids], with_market, vocabulary)
    source_base = float(source_of_document.mean()) if source_of_document is not None else None
    versions = []
    for topic in fit.topics:
        members = [fit.doc_ids[i] for i in topic.members]
        words, shares = described_words(topic.top_terms, topic.term_shares, topic.frequent_terms, topic.frequent_shares)
        scored = technology(
            words,
            documents=len(members),
            with_lead_market=sum(doc_id in with_market for doc_id in members),
            research_documents=(sum(by_id[d].kind in RESEARCH_KINDS for d in members) if research_in_window else None),
            vocabulary=vocabulary,
            base_rate=base_rate,
            source_share=(
                float(source_of_document[topic.members].mean())
                if source_of_document is not None and len(topic.members)
                else None
            ),
            source_base=source_base,
            shares=shares,
            min_share=config.topics.model.label_min_share,
        )
        versions.append(
            TopicVersion(
                topic_id=topic.fit_topic,
                label=topic.label,
                top_terms=topic.top_terms,
                term_weights=topic.term_weights,
                term_shares=topic.term_shares,
                size=len(members),
                technology=scored.score,
                is_technology=scored.score >= config.analysis.technology_threshold,
                technology_evidence=scored.evidence(),
            )
        )
    return versions


def source_technology(
    fit: TopicFit, documents: Sequence[WindowDocument], with_market: set[str], vocabulary: TechnologyVocabulary
) -> np.ndarray | None:
    """Per fit document, the technology share of its source (`models.technology.source_technology_shares`).

    Patents and publications are left out of it: they have the research part of the score, and counting their
    sources again would count the same fact twice; they get the mean of the other documents (no excess). None
    when fewer than two sources of other kinds are in the window (nothing to tell sources apart by) or the label
    frequency cannot be learnt; the classifier behind it only runs when there are two sources or more.
    """
    other = np.array([d.kind not in RESEARCH_KINDS for d in documents], dtype=bool)
    sources = [d.source for d, keep in zip(documents, other, strict=True) if keep]
    if len(set(sources)) < 2 or fit.word_counts is None:
        return None
    labelled = np.array([d.doc_id in with_market for d in documents], dtype=bool)
    rows = np.flatnonzero(other)
    frequency = seed_label_frequency(fit.word_counts[rows], fit.words, labelled[rows], vocabulary)
    shares = source_technology_shares(sources, labelled[rows], frequency)
    if shares is None:
        return None
    values = np.array([shares[source] for source in sources], dtype=np.float64)
    out = np.full(len(documents), float(values.mean()))
    out[rows] = values
    return out


def _known_centroids(warehouse: Warehouse, space: str) -> tuple[list[KnownTopic], np.ndarray]:
    """Stable topics with their centroids in the current space: the mean vector of their latest fit's documents.

    A topic whose documents have no vectors in this space keeps its stored centroid if that was computed in the
    same space; otherwise it cannot be compared and stays out of the linking (it turns dormant).
    """
    known = known_topics(warehouse)
    members = sorted({doc_id for topic in known for doc_id in topic.member_ids})
    ids, vectors = load_embeddings(warehouse, space, members)
    row_of = {doc_id: i for i, doc_id in enumerate(ids)}
    usable, centroids = [], []
    for topic in known:
        rows = [row_of[d] for d in topic.member_ids if d in row_of]
        if rows:
            centroids.append(vectors[rows].mean(axis=0))
        elif topic.space == space:
            centroids.append(topic.centroid)
        else:
            continue
        usable.append(topic)
    return usable, np.vstack(centroids) if centroids else np.zeros((0, 1))
