-- 006 performance: the analyst views stay fast as the warehouse grows (see docs/performance.md).
-- `v_emerging_topics` of 004 computed every column of `v_topic_signals` (lead-market lists, the last 12 periods of
-- each series) for EVERY signals run ever written and only then kept the latest run per granularity; after years of
-- weekly scans that is hundreds of runs of work for one run's rows. This definition restricts each part to the
-- latest run per granularity first. Same columns, same order, same rows (tests/test_view_performance.py checks it against
-- the 004 definition); `v_topic_signals` itself (every run) is unchanged.

create or replace view v_emerging_topics as
with latest as (
    select granularity, max(run_id) as run_id from signals group by granularity
),
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

-- Vectors are looked up by document (`warehouse/topics.py` load_embeddings: the analysis window, a topic's members).
-- The primary key (doc_id, backend) does not serve `doc_id in (...)`; without this index every lookup read all
-- vectors (1.2 GB and 2 s at 1,000,000 documents for 2,000 ids; with it 0.2 GB and 0.4 s).
create index if not exists embeddings_doc on embeddings (doc_id);
