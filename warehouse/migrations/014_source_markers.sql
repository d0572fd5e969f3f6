-- 014 source markers: words that mark a source's documents whatever they are about ("SZ Plus", "Newsticker") are
-- found without topics, by how far their documents stand apart from the other sources' against the rest of their
-- source's (models.boilerplate.cohesion_lifts). A fit records them with the other boilerplate; `association` is
-- null for a word found that way only.
alter table fit_boilerplate add column cohesion double;  -- the lift; below 2: a marker (null: not measured)
