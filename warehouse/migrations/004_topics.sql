-- 004 topics: embeddings (cached per document and backend), topics with a stable id across scans, document-topic
-- assignments, links between a fit's topics and the stable topics, topic series per period / source kind / lead
-- market, emergence signals per run, and the analyst views built on them.
-- Depends on 003 (language step): doc_terms, doc_places, doc_actors, lead_markets, doc_lead_markets.

-- One vector per document and embedding space, computed once: a re-run embeds nothing twice.
-- `backend` names the space: 'use-m3', 'e5-small', 'st:<model>' as is; a corpus-fitted backend carries its model
-- version ('tfidf-svd#3'), because each refit is a new space (vectors of superseded versions are deleted).
create table embeddings (
    doc_id      varchar not null,            -- documents.doc_id
    backend     varchar not null,            -- embedding space, e.g. 'tfidf-svd#1', 'use-m3', 'e5-small'
    dim         integer not null,            -- length of vector
    vector      float[] not null,            -- L2-normalised embedding
    run_id      bigint,                      -- the run that computed it
    created_at  timestamp not null,
    primary key (doc_id, backend)
);

-- Fitted state of corpus-trained embedding backends (TF-IDF+SVD), one row per version: later documents are
-- projected into the same space until enough new documents arrive to refit (topics.refit_share).
-- `state` is an .npz archive of plain arrays (no pickles).
create table embedding_models (
    space         varchar primary key,       -- '<backend>#<version>', the value of embeddings.backend
    backend       varchar not null,          -- 'tfidf-svd'
    version       integer not null,          -- 1, 2, ...
    state         blob not null,
    fitted_on     integer not null,          -- number of documents the model was fitted on
    fitted_until  date,                      -- the as-of date: only documents published up to it were used
    run_id        bigint,
    created_at    timestamp not null
);

create sequence if not exists topic_id_seq start 1;

-- Stable topics. A topic keeps its id as long as later fits link to it (centroid cosine >= threshold).
create table topics (
    topic_id           bigint primary key default nextval('topic_id_seq'),
    label              varchar not null,     -- readable label from the top terms, e.g. 'wasserstoff / elektrolyseur'
    top_terms          varchar[] not null,   -- best first, umlauts intact
    term_weights       double[],             -- c-TF-IDF weight of each top term
    representative_doc_ids varchar[],        -- documents closest to the centroid
    backend            varchar not null,     -- embedding space of the centroid (embeddings.backend)
    centroid           float[] not null,     -- mean of the member documents' vectors (latest fit), for linking
    size               integer not null,     -- documents in the latest fit that included it
    first_seen         date not null,        -- start of the earliest period with a member document
    first_seen_run_id  bigint not null,      -- fit run that created the topic
    last_seen_run_id   bigint not null,      -- latest fit run that linked to it
    status             varchar not null,     -- active | merged | dormant (not found by the latest fit)
    merged_into        bigint,               -- topic_id that absorbed it (status = 'merged')
    updated_at         timestamp not null
);

-- Which stable topic each document belongs to in a fit run (outliers are not stored).
create table document_topics (
    doc_id       varchar not null,
    topic_id     bigint not null,
    run_id       bigint not null,            -- the topics-stage run (the fit)
    probability  double,                     -- cosine of the document to its topic centroid (0..1)
    primary key (run_id, doc_id)
);

-- How each topic of a fit was linked: continued an existing topic, started a new one, or absorbed another (merged).
create table topic_links (
    run_id      bigint not null,             -- the fit run
    fit_topic   integer not null,            -- BERTopic's topic number within that fit
    topic_id    bigint not null,             -- the stable topic
    similarity  double,                      -- centroid cosine to the stable topic's previous centroid (null if new)
    relation    varchar not null,            -- new | continued | merged
    size        integer                      -- documents of the fit topic
);

-- Per topic and period: documents of the topic and of everything, overall ('all'), per source kind and per lead market.
create table topic_series (
    run_id          bigint not null,         -- the emergence-stage run
    fit_run_id      bigint not null,         -- the fit the assignments came from
    topic_id        bigint not null,
    granularity     varchar not null,        -- week | month | quarter | year
    period_start    date not null,
    kind            varchar not null,        -- 'all' or news | patent | publication | policy
    lead_market_id  varchar not null,        -- 'all' or a lead_markets.lead_market_id
    doc_count       integer not null,        -- documents of the topic in the period (and kind / lead market)
    total_count     integer not null,        -- all documents in the period (and kind / lead market)
    share           double not null          -- doc_count / total_count (0 when total_count = 0)
);

-- A topic's lead markets in a run: weight = sum of the member documents' lead-market scores.
create table topic_lead_markets (
    run_id          bigint not null,         -- the emergence-stage run
    topic_id        bigint not null,
    lead_market_id  varchar not null,
    documents       integer not null,        -- member documents with this lead market
    weight          double not null,
    rank            integer not null         -- 1 = the topic's main lead market
);

-- Emergence signals: one row per topic per run, as of a date and granularity. See models/emergence.py for formulas.
create table signals (
    run_id        bigint not null,           -- the emergence-stage run
    fit_run_id    bigint not null,
    as_of         date not null,             -- only documents published up to this date were used
    granularity   varchar not null,
    topic_id      bigint not null,
    score         double,                    -- combined emergence score (ranking key)
    signal_class  varchar,                   -- noise | weak | strong
    trend         varchar,                   -- rising | fading | stable
    growth        double,                    -- recent share / earlier share
    mk_tau        double,                    -- Mann-Kendall tau of the share series
    mk_p          double,                    -- its p-value
    sen_slope     double,                    -- Sen's slope of the share series per period
    burst         double,                    -- Kleinberg burst level of the latest period
    escore        double,                    -- Porter-Carley emergence score
    novelty       double,                    -- 1 - max cosine to topics seen before the topic's first period
    popularity    double,                    -- BERTrend popularity with decay
    kinds_present varchar[],                 -- source kinds with documents of the topic in the window
    evidence      json                       -- the inputs behind the score (counts, thresholds)
);

-- Latest signals run per granularity, ranked.
create view v_latest_signal_runs as
select granularity, max(run_id) as run_id
from signals
group by granularity;

-- Every signals run with what an analyst reads next to a score (v_emerging_topics keeps the latest run only).
create view v_topic_signals as
with markets as (
    select tlm.run_id, tlm.topic_id,
           list(coalesce(lm.name_de, tlm.lead_market_id) order by tlm.rank) as lead_markets,
           list(tlm.lead_market_id order by tlm.rank) as lead_market_ids
    from topic_lead_markets tlm
    left join lead_markets lm on lm.lead_market_id = tlm.lead_market_id
    group by tlm.run_id, tlm.topic_id
),
recent as (
    select ts.run_id, ts.topic_id, list(ts.doc_count order by ts.period_start) as recent_series,
           list(ts.period_start order by ts.period_start) as recent_periods
    from (
        select *, row_number() over (partition by run_id, topic_id order by period_start desc) as periods_back
        from topic_series where kind = 'all' and lead_market_id = 'all'
    ) ts
    where ts.periods_back <= 12            -- the last 12 periods of the window
    group by ts.run_id, ts.topic_id
)
select s.topic_id, t.label, t.top_terms, s.score, s.signal_class, s.trend, s.growth, t.first_seen,
       coalesce(m.lead_markets, []::varchar[]) as lead_markets,
       coalesce(m.lead_market_ids, []::varchar[]) as lead_market_ids,
       s.kinds_present, r.recent_series, r.recent_periods, s.as_of, s.granularity, s.run_id, s.fit_run_id,
       s.mk_tau, s.mk_p, s.sen_slope, s.burst, s.escore, s.novelty, s.popularity, t.status, s.evidence
from signals s
join topics t using (topic_id)
left join markets m on m.run_id = s.run_id and m.topic_id = s.topic_id
left join recent r on r.run_id = s.run_id and r.topic_id = s.topic_id;

-- The latest signals run per granularity, ranked by score.
create view v_emerging_topics as
select v.* from v_topic_signals v
join v_latest_signal_runs l using (granularity, run_id)
order by v.score desc nulls last, v.topic_id;

create view v_topic_series as
select ts.topic_id, t.label, ts.granularity, ts.period_start, ts.kind, ts.lead_market_id,
       ts.doc_count, ts.total_count, ts.share, ts.run_id
from topic_series ts
join (select granularity, max(run_id) as run_id from topic_series group by granularity) r
  using (granularity, run_id)
join topics t using (topic_id)
order by ts.topic_id, ts.granularity, ts.kind, ts.lead_market_id, ts.period_start;

-- Per lead market, from the latest signals run (any granularity; the newest run wins).
create view v_lead_market_overview as
with run as (select max(run_id) as run_id from signals),
sig as (select s.* from signals s join run using (run_id)),
fit as (select max(fit_run_id) as fit_run_id from sig),
tlm as (select t.* from topic_lead_markets t join run using (run_id)),
docs as (
    select dlm.lead_market_id, count(distinct dlm.doc_id) as documents
    from doc_lead_markets dlm
    join document_topics dt on dt.doc_id = dlm.doc_id and dt.run_id = (select fit_run_id from fit)
    group by dlm.lead_market_id
),
per_market as (
    select tlm.lead_market_id,
           count(distinct tlm.topic_id) as topics,
           count(distinct tlm.topic_id) filter (where sig.signal_class = 'weak') as weak_signals,
           count(distinct tlm.topic_id) filter (where sig.signal_class = 'strong') as strong_signals,
           arg_max(tlm.topic_id, sig.score) as top_topic_id
    from tlm join sig using (topic_id)
    where tlm.rank = 1
    group by tlm.lead_market_id
)
select lm.lead_market_id, lm.name_de, lm.name_en,
       coalesce(d.documents, 0) as documents,
       coalesce(p.topics, 0) as topics,
       coalesce(p.weak_signals, 0) as weak_signals,
       coalesce(p.strong_signals, 0) as strong_signals,
       p.top_topic_id, t.label as top_topic_label
from lead_markets lm
left join per_market p using (lead_market_id)
left join docs d using (lead_market_id)
left join topics t on t.topic_id = p.top_topic_id
order by lm.lead_market_id;

-- The documents behind a topic in the latest fit, best first.
create view v_topic_evidence as
with fit as (select max(run_id) as run_id from document_topics),
places as (
    select doc_id, list(distinct municipality order by municipality) as places
    from doc_places where municipality is not null group by doc_id
),
actors as (select doc_id, list(distinct actor order by actor) as actors from doc_actors group by doc_id)
select dt.topic_id, dt.doc_id, d.title, d.url, d.published, d.kind, d.source, dt.probability,
       coalesce(p.places, []::varchar[]) as places, coalesce(a.actors, []::varchar[]) as actors
from document_topics dt
join fit on dt.run_id = fit.run_id
join documents d using (doc_id)
left join places p using (doc_id)
left join actors a using (doc_id)
order by dt.topic_id, dt.probability desc nulls last, dt.doc_id;
