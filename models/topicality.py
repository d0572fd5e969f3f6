"""How much sharing a word means sharing a subject: each word's topicality, and the weights it gives a TF-IDF space.

A TF-IDF space makes two documents alike by the words they share, weighed by how rare each word is. Rarity is a
proxy for what matters: whether two documents that share the word are about the same thing. On news front pages the
proxy fails for everyday verbs and adverbs of middling frequency: "bringt", "zeigt", "hilft" are in 250-700 of
73,000 headlines, rare enough for a high IDF, and a headline's subject words are often too rare for the space's
dimensions ("Heizungsgesetz", a minister's name), so the verb is what is left of it. Clustering then makes *heaps*:
a third of the news topics were labelled "bringen", "helfen", "zeigen", "stehen", "eigentlich" (90 % of the
"bringen" topic's headlines say "bringt"), and the heating law's 96 headlines of 2023-Q2 were spread over 20 of them.

What is measured instead of guessed (Hisamitsu, Niwa and Tsujii 2000, "A measure of term representativeness based
on the number of co-occurring salient words", take the same view: a term is representative when the documents
containing it differ from a random set of documents): for a word w with documents D and the others O,

    topicality(w) = within(D) / between(D, O)

the mean cosine of two documents of D over the mean cosine of one of D and one of O, both over unit TF-IDF rows
*without w itself*, so only the documents' other words count. A word independent of what documents are about gives
1; "bringt" 2.4, "zeigt" 2.6, "deutschland" 2.0 on the front pages, "habeck" 10, "wärmepumpe" 12, "iphone" 24.

Why ``sqrt(topicality - 1)`` as the word's weight factor: if two documents that share w are about one subject with
probability q (and otherwise as alike as any two), their mean similarity is ``q s1 + (1 - q) s0`` against ``s0`` for
any two, so ``topicality - 1 = q (s1 - s0) / s0``: proportional to q, with a constant of the corpus. A shared word
adds the square of its weight to two documents' cosine, so a weight proportional to ``sqrt(q)`` makes what sharing it
adds proportional to the chance that it means a shared subject. The corpus constant cancels in the cosine (every
vector is normalised), and with it every scale: long speeches share so many words that their topicality is 1.0-2.5
where headlines give 1-50, and the factor needs no threshold in either. A word with no subject at all (1 or less)
gets weight 0. The factor multiplies the IDF, which still says how rare a word is; it is normalised to the median
of the measured words, so that a word too rare to measure (fewer than `min_documents` documents) keeps the typical
factor 1 and its IDF as before.

The means cost one sparse sum per word: for unit rows ``x_d`` summed to ``S`` over D (w's column left out),
``within = (|S|^2 - sum |x_d|^2) / (n (n - 1))`` and ``between = S . (T - S_D) / (n (N - n))`` with ``T`` the sum of
all rows. The sums over D run in blocks of words sized by their cost, on a random sample of the documents where the
whole would cost more than `COST` (these are means, which a sample pins down, and the cost stays bounded whatever the
window).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from models.boilerplate import unit_rows

MIN_DOCUMENTS = 20  # documents of a word below which its topicality is not measured (as a source marker's)
COST = 4_000_000_000  # entries summed at most (sum over documents of their distinct words squared): about 15 s
BLOCK_COST = 20_000_000  # stored entries of one block's sums, at most (about 240 MB)


def word_topicality(
    weighted: sparse.spmatrix, *, min_documents: int = MIN_DOCUMENTS, cost: float = COST, seed: int = 0
) -> np.ndarray:
    """Each column's topicality (see the module docstring); NaN where it has fewer than `min_documents` documents
    (in the sample) or nothing to compare with. `weighted` is documents x words, TF-IDF or any non-negative weights.

    A word's sum over its documents adds up their distinct words, so the whole costs the sum over documents of
    their distinct words squared: 16 million for 73,000 headlines, 4 billion for 8,000 long speeches. Above `cost`
    a random sample of documents (seeded) is measured instead.
    """
    matrix = sparse.csr_matrix(weighted, dtype=np.float64)
    lengths = np.diff(matrix.indptr).astype(np.float64)
    total_cost = float((lengths**2).sum())
    if total_cost > cost:
        keep = max(2 * min_documents, int(matrix.shape[0] * cost / total_cost))
        rows = np.sort(np.random.default_rng(seed).choice(matrix.shape[0], keep, replace=False))
        matrix = matrix[rows]
    matrix, has_row = unit_rows(matrix)
    matrix.eliminate_zeros()
    n_docs = int(has_row.sum())
    present = sparse.csc_matrix((matrix > 0).astype(np.float64))
    documents = np.asarray(present.sum(axis=0)).ravel()
    total = np.asarray(matrix.sum(axis=0)).ravel()
    own_squares = np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel()
    word_cost = present.T @ np.diff(matrix.indptr).astype(np.float64)  # entries summed for each word
    result = np.full(matrix.shape[1], np.nan)
    measured = np.flatnonzero((documents >= min_documents) & (documents <= n_docs - min_documents))
    start = 0
    while start < len(measured):
        stop, spent = start, 0.0
        while stop < len(measured) and (stop == start or spent + word_cost[measured[stop]] <= BLOCK_COST):
            spent += word_cost[measured[stop]]
            stop += 1
        words = measured[start:stop]
        sums = sparse.csr_matrix(present[:, words].T @ matrix)  # words x vocabulary: each word's documents summed
        own = np.asarray(sums[np.arange(len(words)), words]).ravel()  # the word's own column in its sum
        squared = np.asarray(sums.multiply(sums).sum(axis=1)).ravel() - own**2  # |S|^2 without the word
        n = documents[words]
        within = (squared - (n - own_squares[words])) / (n * (n - 1))
        between = (np.asarray(sums @ total).ravel() - own * total[words] - squared) / (n * (n_docs - n))
        with np.errstate(divide="ignore", invalid="ignore"):
            result[words] = np.where(between > 0, within / between, np.nan)
        start = stop
    return result


def topicality_factors(topicality: np.ndarray) -> np.ndarray:
    """The weight factor of each word: ``sqrt(max(topicality - 1, 0))`` over its median among the measured words;
    1 for a word not measured (NaN), and 1 for all when nothing could be measured."""
    measured = np.isfinite(topicality)
    if not measured.any():
        return np.ones(len(topicality))
    root = np.sqrt(np.clip(topicality[measured] - 1.0, 0.0, None))
    typical = float(np.median(root))
    if typical <= 0:
        return np.ones(len(topicality))
    factors = np.ones(len(topicality))
    factors[measured] = root / typical
    return factors
