-- 001 foundation: schema versions, sources, runs, documents and the problems found while reading them.

create table if not exists schema_version (
    version     integer primary key,     -- number of the migration file (001, 002, ...)
    name        varchar not null,        -- its name
    applied_at  timestamp not null
);

create sequence if not exists run_id_seq start 1;

-- One row per command or stage. A scan is one parent run with a child run per stage/source.
create table runs (
    run_id         bigint primary key default nextval('run_id_seq'),
    parent_run_id  bigint,                -- the scan this stage belongs to, or null
    command        varchar not null,      -- import, ingest, analyze, scan, ...
    stage          varchar,               -- e.g. ingest, language, topics, emergence, report
    source         varchar,               -- the source a stage worked on, if one
    started_at     timestamp not null,
    finished_at    timestamp,
    status         varchar not null,      -- running | ok | partial | failed
    counts         json,                  -- {"read":..,"inserted":..,"updated":..,"unchanged":..,"skipped":..}
    error          varchar,               -- why it failed, for a human
    config_hash    varchar,               -- hash of the configuration used
    details        json                   -- anything else worth keeping (file path, options)
);

-- One row per source (a feed, an API query, an imported file); `state` keeps its incremental cursor.
create table sources (
    source         varchar primary key,
    kind           varchar not null,      -- news | patent | publication | policy
    first_seen     timestamp not null,
    last_run_id    bigint,
    state          json                   -- ETag, Last-Modified, cursors: whatever the source needs
);

create table documents (
    doc_id         varchar primary key,   -- stable: 'openalex:W...', 'epo:EP...A1', 'news:<url hash>'
    kind           varchar not null,      -- news | patent | publication | policy
    source         varchar not null,      -- sources.source
    title          varchar,
    text           varchar,
    url            varchar,
    published      date,                  -- publication (grant, sitting) date; see extra.date_precision
    language       varchar,               -- ISO 639-1 as given by the source, or null
    actors         varchar[],             -- organisation names as the source gives them
    extra          json,                  -- source-specific: CPC codes, DOI, institutions with ROR, ...
    content_hash   varchar not null,      -- sha256 of the visible content; unchanged hash = no update
    first_run_id   bigint not null,       -- run that inserted it
    last_run_id    bigint not null,       -- run that last changed it
    inserted_at    timestamp not null,
    updated_at     timestamp not null
);

create index documents_published on documents (published);

-- Rows or requests that could not be used, kept so an analyst can see what was skipped and why.
create table run_problems (
    run_id     bigint not null,
    source     varchar,
    location   varchar,                  -- file:line, URL, record id
    message    varchar not null
);
