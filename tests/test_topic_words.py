"""Honest topic words and learnt source boilerplate, on small hand-made corpora whose right answer is known.

What an analyst would notice: a label word that only one document in twenty uses, a lead-market word painted onto
a celebrity cluster, or a publisher's name as a topic word.
"""

from __future__ import annotations

import numpy as np

from models.boilerplate import generic_words, is_source_name, source_boilerplate, source_markers, source_name_words
from models.term_links import Link, canonical_tokens, shown_name
from models.topic_words import topic_words, vocabulary_matrix


def _topic(word: str, n: int, extra: dict[int, list[str]] | None = None) -> list[list[str]]:
    docs = [[word, f"{word}_detail", "filler"] for _ in range(n)]
    for i, words in (extra or {}).items():
        docs[i] = docs[i] + words
    return docs


def test_a_seed_word_is_raised_only_where_the_topic_uses_it_and_labels_need_ten_percent() -> None:
    # 20 heat-pump documents: "geothermie" (a seed word) in one of them; a rare word "ausreißer" in one as well.
    heat = _topic("wärmepumpe", 20, {0: ["geothermie", "ausreißer"], 1: ["geothermie"]})
    heat += [["wärmepumpe", "heizung"] for _ in range(2)]  # "heizung" in 2 of 22 documents (9 %)
    football = _topic("trainer", 20, {i: ["bundesliga"] for i in range(12)})
    tokens = heat + football
    assignments = np.array([0] * len(heat) + [1] * len(football))
    counts, vocabulary = vocabulary_matrix(tokens)
    plain = topic_words(counts, vocabulary, assignments, top_n=6)
    seeded = topic_words(counts, vocabulary, assignments, top_n=6, seed_words=frozenset({"geothermie", "trainer"}))
    assert seeded[0].words.index("geothermie") == plain[0].words.index("geothermie")  # 2 of 22: not raised
    assert seeded[1].weights[seeded[1].words.index("trainer")] > plain[1].weights[plain[1].words.index("trainer")]
    assert "ausreißer" not in plain[0].words  # in one document only: not a topic word at all
    for topic in plain.values():
        label_words = topic.label.split(" / ")
        shares = dict(zip(topic.words, topic.shares, strict=True))
        assert all(shares[w] >= 0.10 for w in label_words), (topic.label, shares)
    assert "heizung" not in plain[0].label and "geothermie" not in plain[0].label
    assert plain[1].label.startswith("trainer / ") and "bundesliga" in plain[1].label  # 12 of 20 documents
    shares = dict(zip(plain[0].words, plain[0].shares, strict=True))
    assert plain[0].documents == 22 and shares["wärmepumpe"] == 1.0


def test_linked_german_and_english_names_count_as_one_word_only_where_both_occur() -> None:
    links = [Link(de=("wärmepumpe",), en=("heat_pump",))]
    both = canonical_tokens({"wärmepumpe", "heat_pump", "filler"}, links)
    assert both == {"wärmepumpe": "wärmepumpe (heat_pump)", "heat_pump": "wärmepumpe (heat_pump)"}
    assert canonical_tokens({"wärmepumpe", "filler"}, links) == {}  # a German-only window keeps its words
    tokens = [["wärmepumpe"]] * 3 + [["heat_pump"]] * 3
    counts, vocabulary = vocabulary_matrix(tokens, both)
    words = topic_words(counts, vocabulary, np.zeros(6, dtype=int), top_n=3)
    assert words[0].words == ["wärmepumpe (heat_pump)"] and words[0].shares == [1.0]


def test_a_linked_technology_is_shown_by_the_names_its_documents_use_most() -> None:
    links = [
        Link(de=("generative_ki", "sprachmodell"), en=("generative_ai", "large_language_model")),
        Link(de=("wärmepumpe",), en=("heat_pump",)),
        Link(de=("cloud",), en=("cloud", "cloud_computing")),
    ]
    # English papers that write "large language model" (and twice "generative AI"), never the German names
    assert shown_name("generative_ki", {"large_language_model": 25, "generative_ai": 2}, 26, 0.1, links) == (
        "large_language_model"
    )
    # both languages: the other one is shown where a tenth of the documents use it, not below
    assert shown_name("wärmepumpe", {"wärmepumpe": 40, "heat_pump": 10}, 48, 0.1, links) == "wärmepumpe (heat_pump)"
    assert shown_name("wärmepumpe", {"wärmepumpe": 40, "heat_pump": 4}, 48, 0.1, links) == "wärmepumpe"
    assert shown_name("wärmepumpe", {"heat_pump": 30, "wärmepumpe": 30}, 55, 0.1, links) == "wärmepumpe (heat_pump)"
    # a name in both lists has no other language; nothing used or no such link: the concept itself
    assert shown_name("cloud", {"cloud": 9, "cloud_computing": 5}, 12, 0.1, links) == "cloud"
    assert shown_name("wärmepumpe", {}, 0, 0.1, links) == "wärmepumpe"
    assert shown_name("fusion", {"fusion": 3}, 3, 0.1, links) == "fusion"


def _news(seed: int = 0) -> tuple[list[list[str]], list[str], np.ndarray]:
    """Three sources over four topics; site-b ends every title with its name; site-c is a specialist site."""
    rng = np.random.default_rng(seed)
    tokens, sources, topics = [], [], []
    topic_words_ = {0: "ukraine", 1: "bundesliga", 2: "inflation", 3: "linux"}
    for source in ("site-a", "site-b", "site-c"):
        for _ in range(300):
            topic = int(rng.integers(0, 3)) if source != "site-c" else int(rng.choice([0, 3], p=[0.2, 0.8]))
            doc = [topic_words_[topic], f"w{rng.integers(0, 50)}"]
            if source == "site-b":
                doc.append("site-b.de")  # the publisher's suffix on every title, whatever it is about
            if source == "site-b" and rng.random() < 0.3:
                doc.append("merkliste")  # navigation words on a third of its teasers
            tokens.append(doc)
            sources.append(source)
            topics.append(topic)
    return tokens, sources, np.array(topics)


def test_publisher_names_and_navigation_words_are_learnt_as_boilerplate_but_specialist_words_are_not() -> None:
    tokens, sources, topics = _news()
    counts, vocabulary = vocabulary_matrix(tokens)
    found = source_boilerplate(counts, vocabulary, sources, topics)
    assert set(found) == {"site-b.de", "merkliste"}
    evidence = found["site-b.de"]
    assert evidence.sources == ("site-b",) and evidence.concentration == 1.0 and evidence.association < 0.1
    assert evidence.documents == 300 and evidence.topics == 3
    # "linux" is almost only on the specialist site, but it *is* what those documents are about: kept.
    assert "linux" not in found


def test_with_one_source_nothing_is_boilerplate() -> None:
    tokens, _, topics = _news()
    counts, vocabulary = vocabulary_matrix(tokens)
    assert source_boilerplate(counts, vocabulary, ["one"] * len(tokens), topics) == {}


def test_topic_independent_words_and_source_names_never_describe_a_topic() -> None:
    tokens, sources, topics = _news()
    for doc in tokens:
        doc.append("sagen")  # an everyday verb in every document, whatever it is about
    counts, vocabulary = vocabulary_matrix(tokens)
    generic = generic_words(counts, vocabulary, topics)
    assert "sagen" in generic and generic["sagen"].association < 0.1
    assert not {"ukraine", "bundesliga", "inflation", "linux"} & set(generic)
    names = source_name_words(["heise.de", "feed:news.rub.de/newsfeed", "site-b", "n-tv.de", "t-online.de"])
    assert {"heise", "rub", "news.rub.de", "site-b", "n-tv", "n-tv.de", "t-online.de"} <= names and "de" not in names
    assert is_source_name("heiseshow", names) and is_source_name("heise", names) and is_source_name("n-tv.de", names)
    assert not is_source_name("linux", names) and not is_source_name("online", names)  # "t-online" is a name


def test_a_feed_named_by_its_address_is_named_by_its_host_not_by_its_sections_or_searches() -> None:
    """Feeds of the domain's source list (`../shared/domain/ruhr.md`): a local section, a city page, a news search.
    Their paths and queries are sections and search words; barred as names, they would keep "bochum", "ruhrgebiet"
    and the watched technology itself ("wasserstoff", "wasserstoffnetz") out of every topic's words."""
    names = source_name_words([
        "feed:www.waz.de/lokales/bochum/rss",
        "feed:www1.wdr.de/nachrichten/ruhrgebiet/dortmund/index~rss.xml",
        "feed:news.google.com/rss/search?q=wasserstoff+ruhr&hl=de",
        "https://www.zeit.de/wissen/index",
    ])  # fmt: skip
    assert {"waz", "waz.de", "wdr", "wdr.de", "google", "news.google.com", "zeit", "zeit.de"} <= names
    for word in ("bochum", "ruhrgebiet", "dortmund", "nachrichten", "wasserstoff", "wasserstoffnetz", "wissenschaft"):
        assert not is_source_name(word, names), word
    assert not {"www1", "lokales", "search", "index"} & names
    assert is_source_name("waz.de", names) and is_source_name("zeit", names)


def _paywalled(seed: int = 0) -> tuple[list[list[str]], list[str]]:
    """Three sources on four subjects, each with its own words. site-b heads 30 % of its documents, whatever they
    are about, with a paywall marker ("plus" "abo"); site-c is a specialist site, 80 % about Linux. "linux" and
    "kernel" are as concentrated there as the marker; "software", "version" and the others are written by the
    other sites too (their occasional software news), as a subject's words are."""
    rng = np.random.default_rng(seed)
    subjects = {
        "ukraine": ["ukraine", "front", "armee", "waffenruhe"],
        "bundesliga": ["bundesliga", "tor", "trainer", "spieltag"],
        "inflation": ["inflation", "preise", "zinsen", "ezb"],
        "software": ["software", "version", "update", "app", "computer"],
        "linux": ["linux", "kernel", "software", "version", "update", "app", "computer"],
    }
    filler = [f"w{i}" for i in range(40)]
    tokens, sources = [], []
    for source in ("site-a", "site-b", "site-c"):
        for _ in range(400):
            if source == "site-c":  # the rest of it is news on everything, as a specialist site's rest is
                subject = (
                    "linux" if rng.random() < 0.8 else ["ukraine", "bundesliga", "inflation"][int(rng.integers(0, 3))]
                )
            else:
                subject = ["ukraine", "bundesliga", "inflation", "software"][int(rng.choice(4, p=[0.3, 0.3, 0.3, 0.1]))]
            words = subjects[subject]  # a headline names its subject and two of the subject's other words
            doc = [words[0], *rng.choice(words[1:], size=2), *rng.choice(filler, size=2)]
            if source == "site-b" and rng.random() < 0.3:
                doc = ["plus", "abo", *doc]
            tokens.append(doc)
            sources.append(source)
    return tokens, sources


def test_a_paywall_marker_is_found_without_topics_but_a_specialist_sites_subject_is_not() -> None:
    tokens, sources = _paywalled()
    counts, vocabulary = vocabulary_matrix(tokens)
    found = source_markers(counts, vocabulary, sources)
    assert {"plus", "abo"} <= set(found)
    plus = found["plus"]
    assert plus.sources == ("site-b",) and plus.concentration == 1.0 and plus.association is None
    assert plus.cohesion is not None and plus.cohesion < 1.5  # site-b's other documents: as alike, as apart
    # "linux" fills 80 % of site-c, but its documents share their subject's words: they stand apart from the other
    # sites' documents far more than the rest of site-c does. (A word on a random part of a site that is all one
    # subject, "kernel" here, cannot be told from a marker: docs/topics.md, "Source markers".)
    assert "linux" not in found and found.keys() <= {"plus", "abo", "kernel", "version", "update", "app", "computer"}
    assert source_markers(counts, vocabulary, ["one"] * len(tokens)) == {}  # one source: nothing to compare
