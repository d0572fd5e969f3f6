-- 003 language: what the language step (`foresight analyze`) found in each document: language, technology terms,
-- Ruhr places and actors, and lead-market scores. Written by pipeline/language_step.py through warehouse/language.py.
-- A document is (re)processed when it has no doc_language row or its content_hash changed since; its rows in all
-- doc_* tables below are then replaced together, in one transaction per batch.

-- One row per processed or skipped document.
create table doc_language (
    doc_id          varchar primary key,   -- documents.doc_id
    language        varchar,               -- ISO 639-1 detected from title + text (de, en, fr, ...), null if no text
    confidence      double,                -- langid's probability for that language (0..1)
    n_words         integer not null,      -- words (tokens with a letter) the pipeline saw
    status          varchar not null,      -- processed | skipped
    reason          varchar,               -- why skipped: "empty: no text", "unsupported language: fr ...", "error: ..."
    pipeline        varchar,               -- spaCy pipeline used: "blank-de+hanta" or a trained one ("de_core_news_lg")
    content_hash    varchar not null,      -- documents.content_hash it was computed from (changed hash = redo)
    run_id          bigint not null,       -- runs.run_id of the language step that wrote it
    processed_at    timestamp not null
);

-- Technology terms per document, best first: the per-document term list topic models use as vocabulary.
create table doc_terms (
    doc_id          varchar not null,
    term            varchar not null,      -- normalised lemma form: "grüner Wasserstoff", "Elektrolyseur", "solid-state battery"
    head            varchar,               -- head noun of a multi-word term or German compound ("Elektrolyseur" for
                                           -- "Wasserstoffelektrolyseur"), null for a simple word
    count           integer not null default 1, -- occurrences in the document (title + text)
    termhood        double not null,       -- specificity against general language x (1 + ln count); higher = more term-like
    rank            integer,               -- 1 = best term of the document
    run_id          bigint,
    primary key (doc_id, term)
);
create index doc_terms_term on doc_terms (term);

-- Ruhr places per document: municipalities (53 RVR), Kreise, and mentions of the region as a whole.
-- One row per document and place (municipality, Kreis or region), not per mention.
create table doc_places (
    doc_id          varchar not null,
    municipality    varchar,               -- official municipality name ("Essen", "Wetter (Ruhr)"), null for kreis/region rows
    kreis           varchar,               -- its Kreis ("Ennepe-Ruhr-Kreis"); null for kreisfreie Städte and region rows
    mention         varchar,               -- first surface form seen ("Essen-Steele", "Essener", "Wetter an der Ruhr")
    place_type      varchar not null default 'municipality', -- municipality | kreis | region
    place           varchar,               -- the municipality, Kreis or region name ("Ruhrgebiet", "im Revier" -> "Ruhrgebiet")
    mentions        integer not null default 1, -- how many times this place is mentioned
    run_id          bigint
);
create index doc_places_doc on doc_places (doc_id);
create index doc_places_municipality on doc_places (municipality);

-- Ruhr actors (universities, institutes, companies, networks) per document.
create table doc_actors (
    doc_id          varchar not null,
    actor           varchar not null,      -- canonical name from models/data/actors.toml
    actor_type      varchar,               -- university | institute | company | network | public_body
    ror             varchar,               -- https://ror.org/... where known
    seat            varchar,               -- municipality of its seat
    mention         varchar,               -- first surface form seen ("RUB", "TU Dortmund")
    mentions        integer not null default 1,
    run_id          bigint,
    primary key (doc_id, actor)
);

-- The nine lead markets (Leitmärkte), seeded from models/data/lead_markets.toml by the language step.
create table lead_markets (
    lead_market_id  varchar primary key,   -- stable id: industrieller_kern, gesundheit, ressourceneffizienz, mobilitaet, ...
    code            varchar,               -- short code used in ruhr.md: IK, GE, RE, MO, UBW, NK, DK, BW, FE
    number          integer,               -- 0..8 as in the Wirtschaftsbericht Ruhr
    name_de         varchar not null,      -- official German name ("Ressourceneffizienz")
    name_en         varchar not null,      -- English name ("Resource Efficiency")
    description     varchar,               -- German description (core areas)
    description_en  varchar
);

-- Lead-market scores per document (multi-label: every market scoring at least 0.05).
create table doc_lead_markets (
    doc_id          varchar not null,
    lead_market_id  varchar not null,      -- lead_markets.lead_market_id
    score           double not null,       -- 0..1: 0.75 x seed_score + 0.25 x scaled similarity
    seed_score      double,                -- 0..1 from seed-term hits
    similarity      double,                -- TF-IDF cosine with the market's description and seeds
    rank            integer,               -- 1 = the document's best market
    evidence        json,                  -- {"seed_terms": [{"term","count","weight"}], "similar_terms": [...], ...}
    run_id          bigint,
    primary key (doc_id, lead_market_id)
);
create index doc_lead_markets_market on doc_lead_markets (lead_market_id);
