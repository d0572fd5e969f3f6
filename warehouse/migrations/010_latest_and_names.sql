-- 010 latest and names: one definition of "latest" scores, used by every analyst view, `foresight emerging`, the report and
-- the alerts (warehouse/signals.py). Per granularity, the latest scores are those of the newest as-of date, and of
-- the newest run among runs for that date. Before, views took the newest *run* per granularity, so backfilling an old
-- date (`analyze --as-of 2022-06-30` after a 2022-12-31 run) made the old date "latest"; and the lead-market overview
-- and the evidence took the newest run of any granularity, mixing a monthly and a quarterly analysis.
-- Every view that shows latest scores now carries `granularity`: filter on it (the commands and the report use the
-- configured `[analysis] granularity`).
-- Also: document_topics.probability was always a cosine similarity (a document to its topic centroid), not a
-- probability; it is called what it is.

-- And the `backend` columns of embeddings and topics always held an embedding *space* ('tfidf-svd#3': a backend and
-- the version of its fitted model), which is what they are now called.

alter table document_topics rename column probability to similarity;
drop index if exists embeddings_doc;
alter table embeddings rename column backend to space;
create index embeddings_doc on embeddings (doc_id);
alter table topics rename column backend to space;

create or replace view v_latest_signal_runs as
select granularity, run_id, fit_run_id, as_of
from (
    select granularity, run_id, fit_run_id, as_of,
           row_number() over (partition by granularity order by as_of desc, run_id desc) as newest
    from (select distinct granularity, run_id, fit_run_id, as_of from signals)
)
where newest = 1;

create or replace view v_emerging_topics as
with latest as (select granularity, run_id from v_latest_signal_runs),
markets as (
    select tlm.run_id, tlm.topic_id,
           list(coalesce(lm.name_de, tlm.lead_market_id) order by tlm.rank) as lead_markets,
           list(tlm.lead_market_id order by tlm.rank) as lead_market_ids
    from topic_lead_markets tlm
    join (select distinct run_id from latest) l on l.run_id = tlm.run_id
    left join lead_markets lm on lm.lead_market_id = tlm.lead_market_id
    group by tlm.run_id, tlm.topic_id
),
recent as (
    select ts.run_id, ts.topic_id, list(ts.doc_count order by ts.period_start) as recent_series,
           list(ts.period_start order by ts.period_start) as recent_periods
    from (
        select t.*, row_number() over (partition by t.run_id, t.topic_id order by t.period_start desc) as periods_back
        from topic_series t
        join (select distinct run_id from latest) l on l.run_id = t.run_id
        where t.kind = 'all' and t.lead_market_id = 'all'
    ) ts
    where ts.periods_back <= 12            -- the last 12 periods of the window, as in v_topic_signals
    group by ts.run_id, ts.topic_id
)
select s.topic_id, t.label, t.top_terms, s.score, s.signal_class, s.trend, s.growth, t.first_seen,
       coalesce(m.lead_markets, []::varchar[]) as lead_markets,
       coalesce(m.lead_market_ids, []::varchar[]) as lead_market_ids,
       s.kinds_present, r.recent_series, r.recent_periods, s.as_of, s.granularity, s.run_id, s.fit_run_id,
       s.mk_tau, s.mk_p, s.sen_slope, s.burst, s.escore, s.novelty, s.popularity, t.status, s.evidence
from signals s
join latest l on l.granularity = s.granularity and l.run_id = s.run_id
join topics t using (topic_id)
left join markets m on m.run_id = s.run_id and m.topic_id = s.topic_id
left join recent r on r.run_id = s.run_id and r.topic_id = s.topic_id
order by s.score desc nulls last, s.topic_id;

create or replace view v_topic_series as
select ts.topic_id, t.label, ts.granularity, ts.period_start, ts.kind, ts.lead_market_id,
       ts.doc_count, ts.total_count, ts.share, ts.run_id
from topic_series ts
join v_latest_signal_runs l on l.granularity = ts.granularity and l.run_id = ts.run_id
join topics t using (topic_id)
order by ts.topic_id, ts.granularity, ts.kind, ts.lead_market_id, ts.period_start;

-- Per scores run and lead market: documents of the run's fit with the market, topics whose main (rank-1) market it
-- is, their weak and strong signals, and the best-scored of them, for the scores runs in the list `wanted`. A table
-- macro, so that each view below computes only the runs it shows (a view over every run, filtered afterwards,
-- counted the documents of every fit ever made: seconds at a million documents).
create or replace macro lead_market_rows(wanted) as table
with runs as (select distinct run_id, fit_run_id, granularity, as_of from signals where list_contains(wanted, run_id)),
docs as (
    select r.run_id, dlm.lead_market_id, count(distinct dlm.doc_id) as documents
    from runs r
    join document_topics dt on dt.run_id = r.fit_run_id
    join doc_lead_markets dlm on dlm.doc_id = dt.doc_id
    group by r.run_id, dlm.lead_market_id
),
per_market as (
    select tlm.run_id, tlm.lead_market_id,
           count(distinct tlm.topic_id) as topics,
           count(distinct tlm.topic_id) filter (where s.signal_class = 'weak') as weak_signals,
           count(distinct tlm.topic_id) filter (where s.signal_class = 'strong') as strong_signals,
           arg_max(tlm.topic_id, s.score) as top_topic_id
    from topic_lead_markets tlm join signals s on s.run_id = tlm.run_id and s.topic_id = tlm.topic_id
    where tlm.rank = 1 and list_contains(wanted, tlm.run_id)
    group by tlm.run_id, tlm.lead_market_id
)
select r.run_id, r.granularity, r.as_of, lm.lead_market_id, lm.name_de, lm.name_en,
       coalesce(d.documents, 0) as documents,
       coalesce(p.topics, 0) as topics,
       coalesce(p.weak_signals, 0) as weak_signals,
       coalesce(p.strong_signals, 0) as strong_signals,
       p.top_topic_id, t.label as top_topic_label
from runs r
cross join lead_markets lm
left join per_market p on p.run_id = r.run_id and p.lead_market_id = lm.lead_market_id
left join docs d on d.run_id = r.run_id and d.lead_market_id = lm.lead_market_id
left join topics t on t.topic_id = p.top_topic_id;

-- Every scores run (history); `lead_market_rows([run_id])` gives one run quickly.
create or replace view v_lead_market_signals as
select * from lead_market_rows((select coalesce(list(distinct run_id), []) from signals));

-- Per granularity and lead market, from the latest scores of that granularity.
create or replace view v_lead_market_overview as
select granularity, lead_market_id, name_de, name_en, documents, topics, weak_signals, strong_signals, top_topic_id,
       top_topic_label, as_of, run_id
from lead_market_rows((select coalesce(list(run_id), []) from v_latest_signal_runs))
order by granularity, lead_market_id;

-- The documents behind a topic in the fit of the latest scores of each granularity, best first.
create or replace view v_topic_evidence as
with fit as (select distinct granularity, fit_run_id from v_latest_signal_runs),
places as (
    select doc_id, list(distinct municipality order by municipality) as places
    from doc_places where municipality is not null group by doc_id
),
actors as (select doc_id, list(distinct actor order by actor) as actors from doc_actors group by doc_id)
select fit.granularity, dt.topic_id, dt.doc_id, d.title, d.url, d.published, d.kind, d.source, dt.similarity,
       coalesce(p.places, []::varchar[]) as places, coalesce(a.actors, []::varchar[]) as actors, dt.run_id as fit_run_id
from document_topics dt
join fit on dt.run_id = fit.fit_run_id
join documents d using (doc_id)
left join places p using (doc_id)
left join actors a using (doc_id)
order by fit.granularity, dt.topic_id, dt.similarity desc nulls last, dt.doc_id;
