-- 002 sources: the cache of article pages fetched for the full text of news items.
-- A page is fetched once; failures are kept too, so a page that robots.txt forbids or that has no
-- main text is not asked for again every week (`foresight ingest` retries failures after
-- [sources.news] full_text_retry_days).

create table source_pages (
    url          varchar primary key,   -- canonical URL of the article page
    source       varchar,               -- the feed (sources.source) that linked it first
    fetched_at   timestamp not null,    -- when it was last fetched (or refused)
    status       varchar not null,      -- ok | disallowed (robots.txt) | failed (HTTP error) | empty (no main text)
    text         varchar,               -- main text extracted by trafilatura; null unless status = 'ok'
    error        varchar                -- why it is not ok, for a human
);
