-- A refit of the TF-IDF+SVD model learns from a bounded sample (the analysis window first, then earlier documents,
-- at most `[topics] fit_documents_max`), so `fitted_on` (the sample) is no longer the size of the history. The
-- refit rule compares the history with the history at the last fit: `history_documents`, the documents published
-- up to `fitted_until` when the model was fitted (null for models fitted before this migration: then their
-- sample was the whole history, `fitted_on`).
alter table embedding_models add column history_documents integer;
