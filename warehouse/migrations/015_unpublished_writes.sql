-- 015 unpublished writes: a row for every writer command that may have committed what the readers' snapshot does
-- not hold yet. A writer adds its row when it opens and a successful publish removes them all, so a command killed
-- half-way, or one that failed (and published nothing), leaves its row behind. A command that changed nothing the
-- readers see (an `analyze` with nothing new) may then leave the snapshot as it is, but only when no row was there
-- before its own (warehouse.db.Warehouse.nothing_for_readers). The snapshot holds this table empty.
create table unpublished_writes (
    writer varchar not null,       -- process id and host of the writer command
    opened_at timestamp not null
);
