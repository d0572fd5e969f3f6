-- 008 word vectors: the cache behind the `use-m3-words` embedding backend (models/word_vectors.py).
-- Each distinct word is embedded once by a multilingual sentence encoder; a document vector is the weighted mean of
-- its words' vectors, so a document costs a lookup here instead of an encoder pass. A word's vector depends on the
-- word alone (never on the corpus), so rows are written once and never updated.
-- Stored as int8 with one scale per row (models.word_vectors.quantise; vector = int8 * scale, L2-normalised): a third
-- of the size of FLOAT[512]; the embedder computes with the same rounding, so fresh and stored vectors agree.

create table word_vectors (
    model       varchar not null,            -- the encoder that embedded the word, e.g. 'use-m3'
    word        varchar not null,            -- lower case, as models.word_vectors.content_words yields it
    dim         integer not null,            -- number of components
    vector      blob not null,               -- dim int8 values
    scale       float not null,              -- multiply the int8 values by this
    created_at  timestamp not null,
    primary key (model, word)
);
