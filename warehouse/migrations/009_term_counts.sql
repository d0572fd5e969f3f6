-- 009 term counts: documents per term, day and source kind, kept up to date by the language step, so term emergence
-- and rising terms read counts per period instead of recounting doc_terms of every document on every run.
-- Written by warehouse/language.py (write_language_batch: each batch appends its changes in its own transaction),
-- read by warehouse/term_counts.py (term_period_counts). Any granularity is a sum of days.

-- The date and kind a document had when the language step processed it: its terms are counted under these, so a
-- re-processed document (content, date or kind changed) is subtracted where it was added.
alter table doc_language add column published date;      -- documents.published when processed (null: undated)
alter table doc_language add column kind varchar;        -- documents.kind when processed

update doc_language as l set published = d.published, kind = d.kind
from documents d where d.doc_id = l.doc_id;

-- Documents per term, day and kind. A key may have several rows (each batch appends its changes, +n for documents
-- processed, -n for documents re-processed); the language step sums the rows of the days it touched at its end,
-- so there is about one row per key. Always read sums: sum(documents) group by term, day, kind.
create table term_days (
    term            varchar not null,      -- doc_terms.term exactly as the language step writes it
    day             date not null,         -- doc_language.published
    kind            varchar not null,      -- doc_language.kind: news | patent | publication | policy
    documents       integer not null       -- documents of that day and kind with the term among their doc_terms
);

-- All documents the language step processed (status processed) per day and kind: the denominator of a term's share.
-- Skipped documents (other languages, empty, too short) cannot contain a term and are not counted.
create table term_day_totals (
    day             date not null,
    kind            varchar not null,
    documents       integer not null       -- same convention: several rows per key may exist; read sums
);

insert into term_days
select t.term, l.published, l.kind, count(*)::integer
from doc_terms t join doc_language l using (doc_id)
where l.published is not null
group by all
order by 2, 1;

insert into term_day_totals
select published, kind, count(*)::integer
from doc_language
where status = 'processed' and published is not null
group by all
order by 1;
