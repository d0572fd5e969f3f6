-- 007 document sources: a document that several sources carry (the same article in two news feeds) keeps its first
-- source in documents.source, with the title and text that source gave, and every later source is listed here. So
-- re-reading either feed changes nothing (before, the document flipped to whichever feed ran last and counted as
-- updated every run), and an analyst can still see every feed that carried it. Written by
-- warehouse/documents.py (upsert_documents); a source is listed once per document, when it first carries it.

create table document_sources (
    doc_id        varchar not null,      -- documents.doc_id
    source        varchar not null,      -- a source (sources.source) other than documents.source that carries it
    guid          varchar,               -- the item's guid or Atom id in that source, if it had one
    url           varchar,               -- the link that source gave
    first_run_id  bigint not null,       -- the run that first saw the document in that source
    first_seen    timestamp not null,
    primary key (doc_id, source)
);
