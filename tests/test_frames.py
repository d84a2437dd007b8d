import numpy as np

from app.frames import label_clusters, match_frames, threshold_clustering


def _blobs(n_per=40, k=4, dim=32, noise=0.15, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, dim))
    x = np.concatenate([c + noise * rng.normal(size=(n_per, dim)) * np.linalg.norm(c) / np.sqrt(dim) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.repeat(np.arange(k), n_per)


def test_recovers_separated_clusters():
    x, truth = _blobs()
    result = threshold_clustering(x, threshold=0.8)
    assert result.n_clusters == 4
    # every true cluster maps to exactly one found cluster
    for t in range(4):
        found = set(result.labels[truth == t].tolist())
        assert len(found) == 1 and -1 not in found


def test_outliers_stay_unassigned():
    x, _ = _blobs()
    rng = np.random.default_rng(1)
    noise = rng.normal(size=(10, x.shape[1])).astype(np.float32)
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    result = threshold_clustering(np.concatenate([x, noise]), threshold=0.8)
    assert (result.labels[-10:] == -1).all()
    assert (result.scores[-10:] == 0).all()


def test_deterministic():
    x, _ = _blobs()
    a = threshold_clustering(x, 0.8)
    b = threshold_clustering(x, 0.8)
    assert (a.labels == b.labels).all()


def test_cluster_cap():
    x, _ = _blobs(k=6)
    result = threshold_clustering(x, 0.8, max_clusters=3)
    assert result.n_clusters <= 3


def test_labels_prefer_distinctive_phrases():
    texts = ["cannon fodder for the war", "sent as cannon fodder again", "used as cannon fodder",
             "a blood offering to the leader", "blood offering made", "the blood offering continues",
             "the weather was fine", "the weather report"]
    labels = np.array([0, 0, 0, 1, 1, 1, -1, -1])
    out = label_clusters(texts, labels, n_phrases=2)
    assert out[0].label == "cannon fodder"
    assert out[1].label == "blood offering"


def test_match_frames_one_to_one():
    old = np.eye(3, dtype=np.float32)
    new = np.array([[0, 1, 0], [0.99, 0.1, 0], [0, 0.9, 0.1]], dtype=np.float32)
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    m = match_frames(new, [10, 11, 12], old, threshold=0.8)
    assert m == {0: 11, 1: 10}


def _unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def _corpus(rng, topics, boiler=None, per_article=3, articles_per_topic=6, outlets=3, noise=0.25):
    """Articles of a few passages around their topic's direction, optionally each ending in one shared
    boilerplate line (a sign-up line, a credit) that has nothing to do with the article."""
    vecs, texts, arts, outs = [], [], [], []
    for t, topic in enumerate(topics):
        for a in range(articles_per_topic):
            art = f"t{t}a{a}"
            for p in range(per_article):
                vecs.append(topic + noise * rng.normal(size=topic.shape) / np.sqrt(len(topic)))
                texts.append(f"{art}p{p}")
                arts.append(art)
                outs.append(f"o{a % outlets}")
            if boiler is not None:
                vecs.append(boiler + 0.05 * rng.normal(size=topic.shape) / np.sqrt(len(topic)))
                texts.append(f"{art}-credit")
                arts.append(art)
                outs.append(f"o{a % outlets}")
    return _unit(vecs), np.array(texts), np.array(arts), np.array(outs)


def test_discover_sets_boilerplate_aside_and_keeps_the_stories():
    from app.frames import discover

    rng = np.random.default_rng(3)
    topics = _unit(rng.normal(size=(3, 64)))
    boiler = _unit(rng.normal(size=64))
    x, texts, arts, outs = _corpus(rng, topics, boiler)
    found = discover(x, texts, arts, outs, threshold=0.55)
    credit = np.char.endswith(texts, "-credit")
    assert found.counts["boilerplate"] == 1 and found.counts["boilerplate_passages"] == credit.sum()
    assert found.set_aside[credit].all() and not found.set_aside[~credit].any()
    assert (found.labels[credit] == -1).all()  # shown as unassigned, not as a frame
    assert len(found.centroids) == 3
    for t in range(3):
        mine = found.labels[np.char.startswith(arts, f"t{t}a") & ~credit]
        assert len(set(mine.tolist())) == 1 and mine[0] >= 0
    # With the rule off, the credit line is a frame of its own.
    off = discover(x, texts, arts, outs, threshold=0.55, min_anchoring=0)
    assert len(off.centroids) == 4 and (off.labels[credit] >= 0).all()


def test_discover_needs_several_articles_and_outlets():
    from app.frames import discover

    rng = np.random.default_rng(4)
    topics = _unit(rng.normal(size=(2, 64)))
    x, texts, arts, outs = _corpus(rng, topics, articles_per_topic=2)
    assert len(discover(x, texts, arts, outs, threshold=0.55, min_articles=3).centroids) == 0
    found = discover(x, texts, arts, outs, threshold=0.55, min_articles=2)
    assert len(found.centroids) == 2
    assert len(discover(x, texts, arts, np.full(len(x), "one"), threshold=0.55, min_articles=2).centroids) == 0


def test_discover_merges_frames_whose_centres_nearly_coincide():
    from app.frames import discover

    rng = np.random.default_rng(5)
    a = _unit(rng.normal(size=64))
    b = _unit(0.65 * a + 0.35 * _unit(rng.normal(size=64)))  # a close variant of the same frame
    assert 0.85 < float(a @ b) < 0.95
    x, texts, arts, outs = _corpus(rng, np.stack([a, b]), noise=0.05)
    apart = discover(x, texts, arts, outs, threshold=0.97, merge_threshold=1.0)
    merged = discover(x, texts, arts, outs, threshold=0.97, merge_threshold=0.85)
    assert len(apart.centroids) == 2 and apart.counts["merged"] == 0
    assert merged.counts["merged"] == 1 and len(set(merged.labels.tolist()) - {-1}) == 1


def test_anchoring_is_low_for_a_line_unrelated_to_its_article():
    from app.frames import anchoring

    rng = np.random.default_rng(6)
    topic, other = _unit(rng.normal(size=(2, 64)))
    x = _unit([topic + 0.2 * rng.normal(size=64) / 8 for _ in range(3)] + [other])
    a = anchoring(x, np.array(["art"] * 4))
    assert a[:3].min() > 0.8 and a[3] < 0.3
    assert np.isnan(anchoring(x[:1], np.array(["alone"])))[0]


def test_clustering_rows_read_through_an_index_equal_clustering_their_copy():
    """Discovery clusters the distinct texts through their rows in the passages' matrix, a block at a time
    (no copy of them all): the result must be that of clustering the copy, bit for bit, also with more rows
    than a block."""
    from app.frames import discovery

    rng = np.random.default_rng(3)
    centres = rng.normal(size=(40, 16)).astype(np.float32)
    x = centres[rng.integers(0, 40, 9000)] + 0.3 * rng.normal(size=(9000, 16)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = np.sort(rng.choice(len(x), 7000, replace=False))[::-1].copy()  # any order, as discovery's
    assert len(rows) > discovery.BLOCK
    copied = threshold_clustering(x[rows], 0.8)
    indexed = threshold_clustering(x, 0.8, rows=rows)
    assert copied.n_clusters > 10
    assert np.array_equal(copied.labels, indexed.labels)
    assert np.array_equal(copied.scores, indexed.scores)
    assert np.array_equal(copied.centroids, indexed.centroids)
