-- 011 radar: what an analyst needs to trust the list: honest words per fit (point in time), technology scores with
-- their evidence, birth, rising terms, the cross-source life cycle, and term-level emergence.

-- A topic as one fit described it. `topics` keeps only the latest description; `emerging --as-of T` shows the
-- words, label and technology score of the fit behind T's scores, so they come from here.
create table topic_versions (
    fit_run_id          bigint not null,     -- the topics-stage run (the fit)
    topic_id            bigint not null,
    label               varchar not null,    -- label words each occur in >= 10 % of the topic's documents
    top_terms           varchar[] not null,  -- c-TF-IDF over the final members, boilerplate left out, best first
    term_weights        double[],
    term_shares         double[],            -- share of the topic's documents using each top term
    size                integer not null,
    technology          double,              -- 0..1, see models/technology.py
    is_technology       boolean,             -- technology >= [analysis] technology_threshold
    technology_evidence json,                -- the parts of the score and the words that counted
    primary key (fit_run_id, topic_id)
);

-- Words a fit left out of topic words as source boilerplate (publisher names, bylines, navigation), and why.
create table fit_boilerplate (
    fit_run_id     bigint not null,
    word           varchar not null,
    sources        varchar[],                -- the sources it belongs to
    documents      integer,                  -- its documents in those sources
    concentration  double,                   -- share of its documents in those sources
    source_share   double,                   -- those sources' share of all documents
    association    double,                   -- Cramér's V of the word and the topics within those sources
    topics         integer,                  -- distinct topics it appears in there
    primary key (fit_run_id, word)
);

alter table signals add column first_seen date;      -- start of the topic's birth period (first minimal presence)
alter table signals add column is_new boolean;       -- born inside the recent window after enough history
alter table signals add column rising_terms json;    -- terms whose share inside the topic rose most, with numbers
alter table signals add column life_cycle json;      -- per source kind the period it reached a minimal presence

-- Term-level emergence: every language-step term with a minimal presence, scored like a topic (one row per term per
-- emergence run). Terms linked across languages are one row ("wärmepumpe (heat pump)").
create table term_signals (
    run_id         bigint not null,          -- the emergence-stage run (as for signals)
    as_of          date not null,
    granularity    varchar not null,
    term           varchar not null,         -- as people read it: "grüner wasserstoff"
    documents      integer not null,         -- documents with the term in the window
    score          double,
    signal_class   varchar,
    trend          varchar,
    growth         double,
    mk_tau         double,
    mk_p           double,
    burst          double,
    escore         double,
    first_seen     date,                     -- start of its birth period
    is_new         boolean,
    technology     double,
    is_technology  boolean,
    kinds          varchar[],                -- source kinds of its documents
    recent_series  integer[],                -- documents with the term in the last 12 periods, oldest first
    evidence       json,
    primary key (run_id, term)
);

-- Every signals run with what an analyst reads next to a score, described as the fit behind it described its topics.
create or replace view v_topic_signals as
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
select s.topic_id, coalesce(v.label, t.label) as label, coalesce(v.top_terms, t.top_terms) as top_terms,
       s.score, s.signal_class, s.trend, s.growth, coalesce(s.first_seen, t.first_seen) as first_seen,
       coalesce(m.lead_markets, []::varchar[]) as lead_markets,
       coalesce(m.lead_market_ids, []::varchar[]) as lead_market_ids,
       s.kinds_present, r.recent_series, r.recent_periods, s.as_of, s.granularity, s.run_id, s.fit_run_id,
       s.mk_tau, s.mk_p, s.sen_slope, s.burst, s.escore, s.novelty, s.popularity, t.status, s.evidence,
       v.technology, coalesce(v.is_technology, false) as is_technology, v.technology_evidence,
       coalesce(s.is_new, false) as is_new, coalesce(s.rising_terms, '[]'::json) as rising_terms, s.life_cycle,
       v.term_shares
from signals s
join topics t using (topic_id)
left join topic_versions v on v.fit_run_id = s.fit_run_id and v.topic_id = s.topic_id
left join markets m on m.run_id = s.run_id and m.topic_id = s.topic_id
left join recent r on r.run_id = s.run_id and r.topic_id = s.topic_id;

-- The latest scores per granularity (migration 010's rule), technologies first, then by score.
create or replace view v_emerging_topics as
select v.* from v_topic_signals v
join v_latest_signal_runs l using (granularity, run_id)
order by v.is_technology desc, v.score desc nulls last, v.topic_id;

-- Emerging terms of the latest scores per granularity, technologies first, then by score.
create or replace view v_emerging_terms as
select t.* from term_signals t
join v_latest_signal_runs l using (granularity, run_id)
order by t.granularity, t.is_technology desc, t.score desc nulls last, t.term;

-- When each source kind took a topic up, in the latest scores: "publication 2019 -> patent 2021 -> news 2023".
create or replace view v_topic_life_cycle as
select s.granularity, s.topic_id, e.kind, e.first_period, e.position, s.life_cycle->>'described' as described
from signals s
join v_latest_signal_runs l using (granularity, run_id),
     (select unnest(from_json(s.life_cycle->'first', '[{"kind": "VARCHAR", "first_period": "DATE", "position": "INTEGER"}]'),
             recursive := true)) as e
order by s.granularity, s.topic_id, e.position;
