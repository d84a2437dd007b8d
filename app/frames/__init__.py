"""Narrative frames: discovery (clustering), labels, and stable identity."""

from app.frames.discovery import (Clustering, Discovery, anchoring, discover, nearest, threshold_clustering,
                                  typical_anchoring)
from app.frames.identity import match_frames
from app.frames.labels import label_clusters

__all__ = ["Clustering", "Discovery", "anchoring", "discover", "label_clusters", "match_frames", "nearest",
           "threshold_clustering", "typical_anchoring"]
