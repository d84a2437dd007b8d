"""Seeded frames: a user names a frame and gives phrases or example sentences.

A passage matches a seeded frame

* literally, when it contains one of the phrases, case-insensitively and
  tolerating inflection (``sent as cannon fodder`` matches "Sends as Cannon
  Fodder"), or
* by paraphrase, when its cosine similarity to any phrase or example is at
  least the frame's threshold (the ``seed_threshold`` setting unless the frame
  sets its own).

Seeds live in a TOML file (``frames.toml`` by default) that can be kept under
version control::

    [[frame]]
    name = "cannon fodder"
    phrases = ["cannon fodder", "sent to die"]
    examples = ["The conscripts are being thrown into battle as expendable manpower."]
    threshold = 0.6   # optional
    min_passages = 2  # optional: an article matched only by paraphrase needs this many matching passages

An article always joins the frame through a literal match; through paraphrase alone it joins when at
least ``min_passages`` of its passages match (the ``seed_min_passages`` setting unless the frame sets its
own; 1 by default). Requiring two or more keeps out articles that brush past a frame in one sentence.
"""

from __future__ import annotations

import json
import re
try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
    import tomli as tomllib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from app.frames.labels import sentence_around

_WORD = re.compile(r"\w+", re.UNICODE)


class SeedError(ValueError):
    pass


@dataclass(frozen=True)
class Seed:
    name: str
    phrases: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    threshold: float | None = None
    min_passages: int | None = None

    @property
    def texts(self) -> list[str]:
        return [*self.phrases, *self.examples]

    def as_dict(self) -> dict:
        d = {"name": self.name, "phrases": list(self.phrases), "examples": list(self.examples)}
        if self.threshold is not None:
            d["threshold"] = self.threshold
        if self.min_passages is not None:
            d["min_passages"] = self.min_passages
        return d


def _seed(entry: dict, where: str) -> Seed:
    if not isinstance(entry, dict):
        raise SeedError(f"{where}: expected a table with name, phrases and examples")
    unknown = set(entry) - {"name", "phrases", "examples", "threshold", "min_passages"}
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                        "use name, phrases, examples, threshold, min_passages")
    name = str(entry.get("name", "")).strip()
    if not name:
        raise SeedError(f"{where}: a seeded frame needs a name")
    phrases = tuple(str(p).strip() for p in entry.get("phrases", []) if str(p).strip())
    examples = tuple(str(e).strip() for e in entry.get("examples", []) if str(e).strip())
    if not phrases and not examples:
        raise SeedError(f"{where} ({name!r}): give at least one phrase or example")
    threshold = entry.get("threshold")
    if threshold is not None and not 0 < float(threshold) < 1:
        raise SeedError(f"{where} ({name!r}): threshold must be between 0 and 1, got {threshold}")
    min_passages = entry.get("min_passages")
    if min_passages is not None and (isinstance(min_passages, bool) or not isinstance(min_passages, int)
                                     or min_passages < 1):
        raise SeedError(f"{where} ({name!r}): min_passages must be a whole number of at least 1, got {min_passages!r}")
    return Seed(name, phrases, examples, None if threshold is None else float(threshold), min_passages)


def load_seeds(path: str | Path) -> list[Seed]:
    path = Path(path)
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SeedError(f"{path} is not valid TOML: {exc}") from exc
    seeds = [_seed(e, f"{path} frame {i + 1}") for i, e in enumerate(data.get("frame", []))]
    names = [s.name.lower() for s in seeds]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SeedError(f"{path}: frame name(s) used twice: {', '.join(dupes)}")
    return seeds


def save_seeds(path: str | Path, seeds: list[Seed]) -> None:
    """Write the seeds file (TOML); strings are written as JSON strings, which TOML reads the same."""
    lines = ["# Seeded frames: edit by hand or with `narratives seed`; keep this file under version control.", ""]
    for s in seeds:
        lines.append("[[frame]]")
        lines.append(f"name = {json.dumps(s.name, ensure_ascii=False)}")
        lines.append(f"phrases = {json.dumps(list(s.phrases), ensure_ascii=False)}")
        lines.append(f"examples = {json.dumps(list(s.examples), ensure_ascii=False)}")
        if s.threshold is not None:
            lines.append(f"threshold = {s.threshold}")
        if s.min_passages is not None:
            lines.append(f"min_passages = {s.min_passages}")
        lines.append("")
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)


def upsert_seed(path: str | Path, seed: Seed) -> list[Seed]:
    seeds = [s for s in load_seeds(path) if s.name.lower() != seed.name.lower()] + [seed]
    save_seeds(path, seeds)
    return seeds


def phrase_pattern(phrase: str) -> re.Pattern:
    """Words in order, case-insensitive, each allowed a short inflectional ending."""
    words = _WORD.findall(phrase.lower())
    if not words:
        raise SeedError(f"phrase {phrase!r} has no words")
    parts = []
    for w in words:
        stem = re.sub(r"(ies|es|s|ed|ing|e)$", "", w) if len(w) > 4 else w
        parts.append(re.escape(stem) + r"\w{0,4}")
    return re.compile(r"\b" + r"\W+".join(parts) + r"\b", re.IGNORECASE)


def match_seed(texts: list[str], vectors: np.ndarray, seed: Seed, seed_vectors: np.ndarray,
               threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row indices, scores, how) of the texts that match the seed; ``how`` is literal or paraphrase."""
    sims = (vectors @ seed_vectors.T).max(axis=1) if len(vectors) else np.zeros(0, np.float32)
    literal = np.zeros(len(texts), dtype=bool)
    for phrase in seed.phrases:
        pattern = phrase_pattern(phrase)
        literal |= np.fromiter((bool(pattern.search(t)) for t in texts), dtype=bool, count=len(texts))
    paraphrase = sims >= threshold
    rows = np.flatnonzero(literal | paraphrase)
    how = np.where(literal[rows], "literal", "paraphrase")
    return rows, sims[rows].astype(np.float32), how


def article_gate(article_ids: np.ndarray, how: np.ndarray, min_passages: int) -> np.ndarray:
    """Which matches to keep: every match of an article with a literal match or with at least
    ``min_passages`` matches in all."""
    article_ids, how = np.asarray(article_ids), np.asarray(how)
    if min_passages <= 1 or len(article_ids) == 0:
        return np.ones(len(article_ids), dtype=bool)
    _, inverse, counts = np.unique(article_ids, return_inverse=True, return_counts=True)
    literal = np.zeros(len(counts), dtype=bool)
    np.logical_or.at(literal, inverse, how == "literal")
    return literal[inverse] | (counts[inverse] >= min_passages)


def seed_frame_ids(frames: pd.DataFrame) -> dict[str, int]:
    """The id of every frame ever made from a seed, by seed name in lower case: a seed keeps its frame's
    id, also when the seed is removed for a while and comes back."""
    return {str(n).lower(): int(f) for n, f in zip(frames.get("seed_name", []), frames.get("frame_id", []))
            if isinstance(n, str)}


def seed_sentence(seed: Seed, text: str) -> str:
    """The sentence shown beside a seeded frame's name: the exemplar's first sentence holding one of the seed's
    phrases (matched as the seeded frame matches them), else its first sentence."""
    spans = [m.span() for m in (phrase_pattern(p).search(text) for p in seed.phrases) if m is not None]
    start, end = min(spans) if spans else (0, 0)
    return sentence_around(text, start, end)


def seed_frame(seed: Seed, seed_vectors: np.ndarray, frame_id: int, *, texts: list[str], vectors: np.ndarray,
               passage_ids: np.ndarray, article_ids: np.ndarray, model: str, default_threshold: float,
               default_min_passages: int) -> tuple[dict, pd.DataFrame]:
    """The frame row of one seed and its matching passages (``passage_id``, ``frame_id``, ``score``,
    ``match``, ``article_id``).

    ``texts``, ``vectors``, ``passage_ids`` and ``article_ids`` describe every passage, row for row;
    ``seed_vectors`` are the embedded phrases and examples of the seed. Its centre is their mean, its
    exemplar the best-scoring match."""
    threshold = seed.threshold if seed.threshold is not None else default_threshold
    min_passages = seed.min_passages if seed.min_passages is not None else default_min_passages
    rows, scores, how = match_seed(texts, vectors, seed, seed_vectors, threshold)
    keep = article_gate(article_ids[rows], how, min_passages)
    rows, scores, how = rows[keep], scores[keep], how[keep]
    centre = seed_vectors.mean(axis=0)
    exemplar = passage_ids[rows[np.argmax(scores)]] if len(rows) else None
    sentence = seed_sentence(seed, texts[rows[np.argmax(scores)]]) if len(rows) else None
    frame = {"frame_id": frame_id, "label": seed.name, "phrases": seed.texts, "exemplar_passage_id": exemplar,
             "centroid": centre / (np.linalg.norm(centre) or 1), "model": model, "seed_name": seed.name,
             "threshold": threshold, "exemplar_sentence": sentence}
    matches = pd.DataFrame({"passage_id": passage_ids[rows], "frame_id": frame_id, "score": scores, "match": how,
                            "article_id": article_ids[rows]})
    return frame, matches
