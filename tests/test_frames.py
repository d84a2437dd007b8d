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
    assert out[0][0] == "cannon fodder"
    assert out[1][0] == "blood offering"


def test_match_frames_one_to_one():
    old = np.eye(3, dtype=np.float32)
    new = np.array([[0, 1, 0], [0.99, 0.1, 0], [0, 0.9, 0.1]], dtype=np.float32)
    new /= np.linalg.norm(new, axis=1, keepdims=True)
    m = match_frames(new, [10, 11, 12], old, threshold=0.8)
    assert m == {0: 11, 1: 10}
