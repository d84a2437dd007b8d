"""Frame labels: the most distinctive 1-3 word phrases of each cluster (class-based
TF-IDF against all other clusters and the unassigned passages).

Each cluster is represented by at most ``per_class`` of its passages (those
closest to its centre) and the background by an evenly spaced sample of at
most ``background`` unassigned passages, so the n-gram vocabulary stays bounded
on corpora of a million passages."""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

TOKEN = r"(?u)\b[^\W\d_][\w'’-]*[^\W_]\b|\b[^\W\d_]\b"


def _sample(labels: np.ndarray, scores: np.ndarray | None, per_class: int, background: int) -> dict[int, np.ndarray]:
    """Row indices per class: the best-scoring ``per_class`` rows of each cluster, a spread of the rest."""
    order = np.argsort(labels, kind="stable") if scores is None else np.lexsort((-scores, labels))
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    ends = np.r_[starts[1:], len(order)]
    out = {}
    for s, e in zip(starts, ends):
        c = int(sorted_labels[s])
        rows = order[s:e]
        if c < 0:
            rows = np.sort(rows)
            if len(rows) > background:
                rows = rows[np.linspace(0, len(rows) - 1, background).astype(np.int64)]
        else:
            rows = rows[:per_class]
        out[c] = rows
    return out


def label_clusters(texts: Sequence[str] | Callable[[np.ndarray], list[str]], labels: np.ndarray,
                   n_phrases: int = 3, candidates: int = 12, scores: np.ndarray | None = None,
                   per_class: int = 60, background: int = 20000) -> dict[int, list[str]]:
    """Phrases per cluster index (labels == -1 form the background class).

    ``texts`` is the text of every row, or a function giving the texts of the rows asked for (only the
    sampled rows are read, so a million-passage corpus need not be held in memory)."""
    labels = np.asarray(labels)
    clusters = sorted(int(c) for c in np.unique(labels) if c >= 0)
    if not clusters:
        return {}
    classes = clusters + [-1]
    rows = _sample(labels, None if scores is None else np.asarray(scores), per_class, background)
    if callable(texts):
        wanted = np.concatenate([rows.get(c, np.zeros(0, np.int64)) for c in classes])
        texts = dict(zip(wanted.tolist(), texts(wanted)))
    docs = [" \n ".join(texts[i] for i in rows.get(c, [])) for c in classes]
    vec = CountVectorizer(ngram_range=(1, 3), stop_words="english", token_pattern=TOKEN, lowercase=True)
    try:
        counts = vec.fit_transform(docs).astype(np.float64)
    except ValueError:  # nothing but stop words
        return {c: [] for c in clusters}
    terms = vec.get_feature_names_out()
    counts = counts.tocsr()
    counts.sort_indices()  # ties: the earlier term in the vocabulary
    words = np.asarray(counts.sum(axis=1)).ravel()
    freq = np.asarray(counts.sum(axis=0)).ravel()
    idf = np.log(1 + words.mean() / np.maximum(freq, 1))
    out: dict[int, list[str]] = {}
    for row, c in enumerate(clusters):
        # Only the row's own terms: the vocabulary can hold tens of millions of n-grams.
        start, end = counts.indptr[row], counts.indptr[row + 1]
        idx, raw = counts.indices[start:end], counts.data[start:end]
        ngram_len = np.fromiter((terms[i].count(" ") + 1 for i in idx), dtype=np.float64, count=len(idx))
        # A phrase must recur inside the frame; longer phrases get a small boost.
        score = raw / max(words[row], 1) * idf[idx] * (1 + 0.25 * (ngram_len - 1))
        score[raw < 2] = 0
        best = np.argsort(-score, kind="stable")[:candidates]
        top = [terms[idx[i]] for i in best if score[i] > 0]
        chosen: list[str] = []
        for term in top:
            if any(term in other or other in term for other in chosen):
                continue
            chosen.append(term)
            if len(chosen) == n_phrases:
                break
        out[c] = chosen
    return out
