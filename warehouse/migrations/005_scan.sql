-- 005 scan: what each weekly scan saw of the signals, so the next scan can tell what is new.
-- Written once per completed scan from `v_emerging_topics`; alerts ("new weak signal", "turned strong")
-- and the report's week summary compare the latest snapshot with the one before it.

create table if not exists scan_signal_snapshots (
    scan_run_id   bigint not null,        -- runs.run_id of the parent `scan` run
    taken_at      timestamp not null,     -- when the snapshot was written
    as_of         date,                   -- the date the scores hold for (v_emerging_topics.as_of)
    granularity   varchar,                -- week | month | quarter | year, as scored
    topic_id      varchar not null,       -- topics.topic_id (as text, whatever its type)
    label         varchar,                -- the topic's label at that time
    signal_class  varchar,                -- noise | weak | strong
    trend         varchar,                -- rising | stable | fading
    score         double,                 -- emergence score at that time
    growth        double,                 -- growth of the share at that time
    primary key (scan_run_id, topic_id)
);
