"""Learned matching for seeded frames: a per-frame linear model fitted on labelled examples.

A seeded frame with examples in it and out of it (``label = "in" | "out"``) decides by a logistic
regression on passage vectors instead of one cosine threshold. Each example is a set of passage vectors: a
text example is one passage, an article example is all its passages. The model is fitted on each
example's mean passage vector, and an article is scored by combining its passages' scores:

* ``mean``: the mean of the passages' logits, which is exactly the model applied to the article's mean
  vector, the form it was fitted on;
* ``max``: the best passage's logit (an article that tells the frame in one paragraph);
* ``top3``: the mean of the three best logits.

The article's score is the logistic of the combined logit, a probability. The threshold on it is chosen
by cross-validation on the examples (stratified folds, each example scored by a model that never saw it;
the threshold with the best F1 on those out-of-fold scores), and the same out-of-fold scores give the
frame's estimated precision and recall at that threshold. With fewer than ``MIN_EACH`` examples on either
side there is nothing to cross-validate and no learned rule: the frame keeps the phrase-and-paraphrase rule
of ``app.frames.seeded``.

Where it fails: the estimate is only as good as the examples are typical of the corpus (a user who labels
only easy cases gets an optimistic precision); with a handful of examples the folds are tiny and the
threshold jumps; an article example labelled "in" teaches the model all its passages, including those about
something else.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

COMBINE_RULES = ("mean", "max", "top3")
DEFAULT_COMBINE = "max"
MIN_EACH = 2  # examples needed in and out of the frame before a rule is learned
REGULARISATION = 1.0  # inverse strength (C) of the logistic regression's L2 penalty
RULE_NAME = "learned"


@dataclass(frozen=True)
class LearnedRule:
    weights: np.ndarray  # (dim,)
    bias: float
    threshold: float  # on the article probability
    combine: str
    precision: float | None  # estimated on the examples, out of fold, at the threshold
    recall: float | None
    examples_in: int
    examples_out: int

    def passage_logits(self, vectors: np.ndarray) -> np.ndarray:
        return np.asarray(vectors, dtype=np.float32) @ self.weights.astype(np.float32) + np.float32(self.bias)

    def passage_scores(self, vectors: np.ndarray) -> np.ndarray:
        return _sigmoid(self.passage_logits(vectors))

    def article_scores(self, vectors: np.ndarray, owner: np.ndarray, n_articles: int) -> np.ndarray:
        """The probability of each of ``n_articles`` articles; ``owner[i]`` is the article of passage row i."""
        return _sigmoid(combine_logits(self.passage_logits(vectors), owner, n_articles, self.combine))

    def as_dict(self) -> dict:
        return {"rule": RULE_NAME, "combine": self.combine, "threshold": round(self.threshold, 4),
                "precision": None if self.precision is None else round(self.precision, 4),
                "recall": None if self.recall is None else round(self.recall, 4),
                "examples_in": self.examples_in, "examples_out": self.examples_out}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return (1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))).astype(np.float32)


def combine_logits(logits: np.ndarray, owner: np.ndarray, n_articles: int, combine: str) -> np.ndarray:
    """One logit per article from its passages' logits (``-inf`` for an article with no passage)."""
    if combine not in COMBINE_RULES:
        raise ValueError(f"unknown combine rule {combine!r}; use one of {', '.join(COMBINE_RULES)}")
    logits, owner = np.asarray(logits, dtype=np.float64), np.asarray(owner)
    out = np.full(n_articles, -np.inf)
    if combine == "mean":
        sums = np.bincount(owner, weights=logits, minlength=n_articles)
        counts = np.bincount(owner, minlength=n_articles)
        has = counts > 0
        out[has] = sums[has] / counts[has]
    elif combine == "max":
        np.maximum.at(out, owner, logits)
    else:  # top3: mean of the three best
        order = np.lexsort((-logits, owner))
        sorted_owner, sorted_logits = owner[order], logits[order]
        starts = np.r_[0, np.flatnonzero(np.diff(sorted_owner)) + 1]
        rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
        keep = rank < 3
        sums = np.bincount(sorted_owner[keep], weights=sorted_logits[keep], minlength=n_articles)
        counts = np.bincount(sorted_owner[keep], minlength=n_articles)
        has = counts > 0
        out[has] = sums[has] / counts[has]
    return out.astype(np.float32)


def _means(examples: list[np.ndarray]) -> np.ndarray:
    return np.stack([np.asarray(e, dtype=np.float32).reshape(-1, np.shape(e)[-1]).mean(axis=0) for e in examples])


def _fit(means: np.ndarray, labels: np.ndarray, c: float, balanced: bool) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, class_weight="balanced" if balanced else None, max_iter=1000)
    model.fit(means, labels)
    return model.coef_[0].astype(np.float32), float(model.intercept_[0])


def _score_examples(weights: np.ndarray, bias: float, examples: list[np.ndarray], combine: str) -> np.ndarray:
    vectors = np.concatenate([np.asarray(e, dtype=np.float32).reshape(-1, weights.shape[0]) for e in examples])
    owner = np.repeat(np.arange(len(examples)), [np.asarray(e).reshape(-1, weights.shape[0]).shape[0]
                                                  for e in examples])
    return _sigmoid(combine_logits(vectors @ weights + bias, owner, len(examples), combine))


def best_threshold(scores: np.ndarray, labels: np.ndarray, beta: float = 1.0) -> tuple[float, float, float]:
    """(threshold, precision, recall) with the best F1 over the scores; ties go to the higher threshold.
    The threshold is halfway between the lowest score taken and the highest one left out."""
    scores, labels = np.asarray(scores, dtype=np.float64), np.asarray(labels).astype(bool)
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order]
    tp = np.cumsum(y)
    fp = np.cumsum(~y)
    f1 = (1 + beta ** 2) * tp / (tp + fp + beta ** 2 * y.sum())
    # Only cut between distinct scores.
    cut_ok = np.r_[s[:-1] > s[1:], True]
    f1 = np.where(cut_ok, f1, -1)
    i = int(np.argmax(f1))
    below = s[i + 1] if i + 1 < len(s) else max(s[i] - 0.05, 0.0)
    threshold = float((s[i] + below) / 2)
    return threshold, float(tp[i] / (tp[i] + fp[i])), float(tp[i] / max(y.sum(), 1))


BACKGROUND = 200  # corpus passages drawn as unlabelled background, counted out of the frame


def background_rows(n_passages: int, size: int = BACKGROUND, seed: int = 0) -> np.ndarray:
    """A fixed random draw of passage rows used as background: most of a corpus's passages are in no given
    frame, so a few hundred of them, counted out, keep a rule fitted on a handful of examples from taking
    every passage that merely shares the story's words. The same corpus gives the same draw."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.permutation(n_passages)[:min(size, n_passages)])


def fit_rule(examples: list[np.ndarray], labels: np.ndarray, combine: str = DEFAULT_COMBINE,
             folds: int = 5, seed: int = 0, c: float = REGULARISATION, balanced: bool = True,
             beta: float = 1.0, background: np.ndarray | None = None) -> LearnedRule | None:
    """The learned rule of one frame from its examples (each an array of passage vectors, one row for a text
    example) and their labels (1 in the frame, 0 out of it); None when either side has fewer than
    ``MIN_EACH`` examples."""
    labels = np.asarray(labels).astype(int)
    n_in, n_out = int(labels.sum()), int((labels == 0).sum())
    if n_in < MIN_EACH or n_out < MIN_EACH:
        return None
    labelled = len(labels)
    if background is not None and len(background):
        examples = [*examples, *(np.asarray(background, dtype=np.float32)[:, None, :])]
        labels = np.r_[labels, np.zeros(len(background), dtype=int)]
    means = _means(examples)
    k = min(folds, n_in, n_out)
    rng = np.random.default_rng(seed)
    fold = np.empty(len(labels), dtype=int)
    for side in (0, 1):  # stratified: each fold gets its share of each side
        idx = np.flatnonzero(labels == side)
        fold[idx[rng.permutation(len(idx))]] = np.arange(len(idx)) % k
    oof = np.zeros(len(labels), dtype=np.float64)
    for f in range(k):
        train, test = fold != f, fold == f
        w, b = _fit(means[train], labels[train], c, balanced)
        oof[test] = _score_examples(w, b, [examples[i] for i in np.flatnonzero(test)], combine)
    threshold, _, _ = best_threshold(oof, labels, beta)
    taken = oof[:labelled] >= threshold
    truth = labels[:labelled] == 1
    precision = float((taken & truth).sum() / taken.sum()) if taken.any() else None
    recall = float((taken & truth).sum() / truth.sum())
    weights, bias = _fit(means, labels, c, balanced)
    return LearnedRule(weights, bias, threshold, combine, precision, recall, n_in, n_out)
