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
    combine = "max"   # optional, for learned matching: how an article's passage scores combine

    [[frame.example]]   # labelled examples: a passage's text or an article's url, in the frame or not
    text = "Commanders keep ordering men forward into the minefields."
    label = "in"

    [[frame.example]]
    url = "https://example.org/news/the-recruitment-drive"
    label = "out"

An article always joins the frame through a literal match; through paraphrase alone it joins when at
least ``min_passages`` of its passages match (the ``seed_min_passages`` setting unless the frame sets its
own; 1 by default). Requiring two or more keeps out articles that brush past a frame in one sentence.

With at least two labelled examples in the frame (its phrases and unlabelled examples count as in) and two
out of it, the frame's decision is learned instead (``app.frames.learned``): a logistic regression on the
passage vectors, its threshold and estimated precision from cross-validation on the examples. Literal
phrase matches still join. Examples can also sit in a file beside the seeds file, ``<seeds>.examples.csv``
(columns frame, text, url, label): the dashboard's review queue writes there.
"""

from __future__ import annotations

import csv
import io
import json
import re
try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
    import tomli as tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from app.frames.labels import sentence_around
from app.textcase import search_lower, word_stem
from app.frames.learned import COMBINE_RULES

_WORD = re.compile(r"\w+", re.UNICODE)


class SeedError(ValueError):
    pass


LABELS = ("in", "out")


@dataclass(frozen=True)
class Example:
    """A labelled example of a seeded frame: a passage's text or an article's url, in the frame or out of it."""
    label: str
    text: str | None = None
    url: str | None = None

    def as_dict(self) -> dict:
        d = {"text": self.text} if self.text else {"url": self.url}
        return {**d, "label": self.label}


def make_example(entry: dict, where: str) -> Example:
    """An example from a table or CSV row (``text`` or ``url``, and ``label``); SeedError names ``where``."""
    if not isinstance(entry, dict):
        raise SeedError(f"{where}: expected a table with text or url, and label")
    unknown = set(entry) - {"text", "url", "label", "frame"}
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; use text or url, and label")
    text = str(entry.get("text") or "").strip()
    url = str(entry.get("url") or "").strip()
    label = str(entry.get("label") or "").strip().lower()
    if bool(text) == bool(url):
        raise SeedError(f"{where}: give either text or url" + (", not both" if text else ""))
    if url and not re.match(r"https?://[^\s/]+", url, re.IGNORECASE):
        raise SeedError(f"{where}: url {url!r} is not an http(s) address")
    if label not in LABELS:
        raise SeedError(f"{where}: label must be \"in\" or \"out\", got {entry.get('label')!r}")
    return Example(label, text or None, url or None)


@dataclass(frozen=True)
class Seed:
    name: str
    phrases: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    threshold: float | None = None
    min_passages: int | None = None
    labelled: tuple[Example, ...] = ()
    combine: str | None = None

    @property
    def texts(self) -> list[str]:
        return [*self.phrases, *self.examples]

    def as_dict(self) -> dict:
        d = {"name": self.name, "phrases": list(self.phrases), "examples": list(self.examples)}
        if self.threshold is not None:
            d["threshold"] = self.threshold
        if self.min_passages is not None:
            d["min_passages"] = self.min_passages
        if self.combine is not None:
            d["combine"] = self.combine
        if self.labelled:
            d["example"] = [e.as_dict() for e in self.labelled]
        return d


def _seed(entry: dict, where: str) -> Seed:
    if not isinstance(entry, dict):
        raise SeedError(f"{where}: expected a table with name, phrases and examples")
    unknown = set(entry) - {"name", "phrases", "examples", "threshold", "min_passages", "example", "combine"}
    if unknown:
        raise SeedError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; "
                        "use name, phrases, examples, threshold, min_passages, combine, example")
    name = str(entry.get("name", "")).strip()
    if not name:
        raise SeedError(f"{where}: a seeded frame needs a name")
    phrases = tuple(str(p).strip() for p in entry.get("phrases", []) if str(p).strip())
    examples = tuple(str(e).strip() for e in entry.get("examples", []) if str(e).strip())
    raw = entry.get("example", [])
    if not isinstance(raw, list):
        raise SeedError(f"{where} ({name!r}): write examples as [[frame.example]] tables")
    labelled = tuple(make_example(e, f"{where} ({name!r}) example {i + 1}") for i, e in enumerate(raw))
    if not phrases and not examples and not any(e.label == "in" for e in labelled):
        raise SeedError(f"{where} ({name!r}): give at least one phrase or example")
    threshold = entry.get("threshold")
    if threshold is not None and not 0 < float(threshold) < 1:
        raise SeedError(f"{where} ({name!r}): threshold must be between 0 and 1, got {threshold}")
    min_passages = entry.get("min_passages")
    if min_passages is not None and (isinstance(min_passages, bool) or not isinstance(min_passages, int)
                                     or min_passages < 1):
        raise SeedError(f"{where} ({name!r}): min_passages must be a whole number of at least 1, got {min_passages!r}")
    combine = entry.get("combine")
    if combine is not None and combine not in COMBINE_RULES:
        raise SeedError(f"{where} ({name!r}): combine must be one of {', '.join(COMBINE_RULES)}, got {combine!r}")
    return Seed(name, phrases, examples, None if threshold is None else float(threshold), min_passages, labelled,
                combine)


def load_seeds(path: str | Path, reviewed: bool = True) -> list[Seed]:
    """The seeds of the file (none when it is absent); with ``reviewed``, each with the examples kept beside
    it (``examples_file``) added to its own."""
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
    if not reviewed:
        return seeds
    kept = load_reviewed(examples_file(path))
    return [replace(s, labelled=merge_examples(s.labelled, kept.get(s.name.lower(), ()))) for s in seeds]


def examples_file(seeds_path: str | Path) -> Path:
    """The file beside the seeds file where reviewed examples are kept (``frames.examples.csv``)."""
    seeds_path = Path(seeds_path)
    return seeds_path.with_name(seeds_path.stem + ".examples.csv")


def merge_examples(first: tuple[Example, ...], later) -> tuple[Example, ...]:
    """Examples of both, one per text or url; a later label wins (a review overrides the file)."""
    out: dict[tuple, Example] = {}
    for e in (*first, *later):
        out[(e.text, e.url)] = e
    return tuple(out.values())


def read_examples_csv(text: str, where: str) -> tuple[list[tuple[str | None, Example]], list[str]]:
    """Rows of a CSV of examples (columns text or url, label, and optionally frame): the good rows as
    (frame or None, example), and a message for each bad row naming its row number (the header is row 1)."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not ({"text", "url"} & set(reader.fieldnames)) or "label" not in reader.fieldnames:
        return [], [f"{where}: needs a header with text or url, and label (found {reader.fieldnames or 'nothing'})"]
    good, bad = [], []
    for row_number, row in enumerate(reader, start=2):
        if None in row:
            bad.append(f"{where} row {row_number}: more fields than the header names")
            continue
        frame = (row.pop("frame", None) or "").strip() or None
        try:
            good.append((frame, make_example({k: v for k, v in row.items() if k in ("text", "url", "label")},
                                             f"{where} row {row_number}")))
        except SeedError as exc:
            bad.append(str(exc))
    return good, bad


def load_reviewed(path: Path) -> dict[str, list[Example]]:
    """Reviewed examples by frame name in lower case (the file the review queue writes; absent: none)."""
    if not path.exists():
        return {}
    good, bad = read_examples_csv(path.read_text(encoding="utf-8"), str(path))
    if bad:
        raise SeedError("; ".join(bad))
    out: dict[str, list[Example]] = {}
    for frame, example in good:
        if frame:
            out.setdefault(frame.lower(), []).append(example)
    return out


def add_reviewed(seeds_path: str | Path, frame: str, example: Example) -> Path:
    """Keep one reviewed example in the file beside the seeds file (a later review of the same text wins)."""
    path = examples_file(seeds_path)
    rows = [] if not path.exists() else list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows = [r for r in rows if not (r.get("frame", "").lower() == frame.lower()
                                    and (r.get("text") or None) == example.text and (r.get("url") or None) == example.url)]
    rows.append({"frame": frame, "text": example.text or "", "url": example.url or "", "label": example.label})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["frame", "text", "url", "label"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(out.getvalue(), encoding="utf-8")
    tmp.replace(path)
    return path


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
        if s.combine is not None:
            lines.append(f"combine = {json.dumps(s.combine)}")
        lines.append("")
        for e in s.labelled:
            lines.append("[[frame.example]]")
            for key, value in e.as_dict().items():
                lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
            lines.append("")
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    tmp.replace(path)


def upsert_seed(path: str | Path, seed: Seed) -> list[Seed]:
    """Add or replace the seed of that name (any case). A replacement given no labelled examples or combine
    rule keeps those of the seed it replaces: changing a frame's phrases never drops its examples."""
    current = {s.name.lower(): s for s in load_seeds(path, reviewed=False)}.get(seed.name.lower())
    if current is not None:
        seed = replace(seed, labelled=seed.labelled or current.labelled, combine=seed.combine or current.combine)
    _seed(seed.as_dict(), f"{path} frame {seed.name!r}")  # the same checks as reading it back
    seeds = [s for s in load_seeds(path, reviewed=False) if s.name.lower() != seed.name.lower()] + [seed]
    save_seeds(path, seeds)
    return seeds


def _stems(phrase: str) -> list[str]:
    """The phrase's words in lower case, each without a short inflectional ending."""
    words = _WORD.findall(phrase.lower())
    if not words:
        raise SeedError(f"phrase {phrase!r} has no words")
    return [word_stem(w) for w in words]


def phrase_pattern(phrase: str) -> re.Pattern:
    """Words in order, case-insensitive, each allowed a short inflectional ending."""
    parts = [re.escape(stem) + r"\w{0,4}" for stem in _stems(phrase)]
    return re.compile(r"\b" + r"\W+".join(parts) + r"\b", re.IGNORECASE)


LITERAL_CHUNK = 50_000  # texts put in lower case at a time


def literal_matches(texts, phrases) -> np.ndarray:
    """Whether each of ``texts`` holds one of ``phrases`` (``phrase_pattern``). The same as searching every
    text with every phrase's pattern, in a fraction of the time: a text is searched only when it holds the
    phrase's longest word stem as plain lower-case text, which any match of the pattern needs (a stem of
    letters other than ASCII, whose case the expression may fold otherwise, searches every text)."""
    out = np.zeros(len(texts), dtype=bool)
    plan = []
    for phrase in phrases:
        key = max((s for s in _stems(phrase) if s.isascii()), key=len, default=None)
        plan.append((phrase_pattern(phrase), key))
    for start in range(0, len(texts) if plan else 0, LITERAL_CHUNK):
        part = texts[start:start + LITERAL_CHUNK]
        lowered = None
        for pattern, key in plan:
            if key is None:
                hits = [i for i, t in enumerate(part) if pattern.search(t)]
            else:
                if lowered is None:
                    lowered = [search_lower(t or "") for t in part]
                hits = [i for i, low in enumerate(lowered) if key in low and pattern.search(part[i])]
            out[start + np.asarray(hits, dtype=np.int64)] = True
    return out


def match_seed(texts: list[str], vectors: np.ndarray, seed: Seed, seed_vectors: np.ndarray,
               threshold: float, literal: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row indices, scores, how) of the texts that match the seed; ``how`` is literal or paraphrase.
    ``literal``: the seed's ``literal_matches`` in ``texts`` when the caller has them already."""
    sims = (vectors @ seed_vectors.T).max(axis=1) if len(vectors) else np.zeros(0, np.float32)
    literal = literal_matches(texts, seed.phrases) if literal is None else literal
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
               default_min_passages: int, rule=None,
               literal: np.ndarray | None = None) -> tuple[dict, pd.DataFrame, pd.DataFrame | None]:
    """The frame row of one seed, its matching passages (``passage_id``, ``frame_id``, ``score``, ``match``,
    ``article_id``) and, for a learned rule, its article rows (None otherwise: they are the passages' roll-up).

    ``texts``, ``vectors``, ``passage_ids`` and ``article_ids`` describe every passage, row for row;
    ``seed_vectors`` are the embedded phrases and examples of the seed. Its centre is their mean, its
    exemplar the best-scoring match. With ``rule`` (a ``LearnedRule`` fitted on the seed's examples) the
    learned rule decides; without, literal and paraphrase matching. ``literal``: the seed's
    ``literal_matches`` in ``texts`` when the caller has them already."""
    articles = None
    if rule is not None:
        matches, articles = learned_matches(seed, rule, frame_id, texts=texts, vectors=vectors,
                                            passage_ids=passage_ids, article_ids=article_ids, literal=literal)
        rows = np.flatnonzero(np.isin(passage_ids, matches["passage_id"].to_numpy()))
        best = rows[np.argmax(rule.passage_scores(vectors[rows]))] if len(rows) else None
        threshold = rule.threshold
        info = {"match_rule": "learned", **{k: v for k, v in rule.as_dict().items() if k != "rule"}}
    else:
        threshold = seed.threshold if seed.threshold is not None else default_threshold
        min_passages = seed.min_passages if seed.min_passages is not None else default_min_passages
        rows, scores, how = match_seed(texts, vectors, seed, seed_vectors, threshold, literal)
        keep = article_gate(article_ids[rows], how, min_passages)
        rows, scores, how = rows[keep], scores[keep], how[keep]
        best = rows[np.argmax(scores)] if len(rows) else None
        matches = pd.DataFrame({"passage_id": passage_ids[rows], "frame_id": frame_id, "score": scores,
                                "match": how, "article_id": article_ids[rows]})
        info = {"match_rule": "phrases", "combine": None, "precision": None, "recall": None,
                "examples_in": None, "examples_out": None}
    centre = seed_vectors.mean(axis=0)
    frame = {"frame_id": frame_id, "label": seed.name, "phrases": seed.texts,
             "exemplar_passage_id": None if best is None else passage_ids[best],
             "centroid": centre / (np.linalg.norm(centre) or 1), "model": model, "seed_name": seed.name,
             "threshold": threshold, "exemplar_sentence": None if best is None else seed_sentence(seed, texts[best]),
             **info}
    return frame, matches, articles


def example_sets(seed: Seed, encode, passage_vectors_of_url) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """The seed's examples as passage-vector sets with labels (1 in, 0 out): its phrases and unlabelled
    examples are in; a text example is one vector, a url example all the passages of that article.
    ``encode`` embeds texts; ``passage_vectors_of_url`` gives an article's passage vectors (None when no
    article has that url). Returns (sets, labels, urls not found)."""
    texts = [*seed.texts, *(e.text for e in seed.labelled if e.text)]
    labels = [1] * len(seed.texts) + [int(e.label == "in") for e in seed.labelled if e.text]
    vectors = np.asarray(encode(texts), dtype=np.float32) if texts else np.zeros((0, 0), np.float32)
    sets = [v[None] for v in vectors]
    missing = []
    for e in seed.labelled:
        if e.url:
            found = passage_vectors_of_url(e.url)
            if found is None or len(found) == 0:
                missing.append(e.url)
                continue
            sets.append(np.asarray(found, dtype=np.float32))
            labels.append(int(e.label == "in"))
    return sets, np.asarray(labels, dtype=int), missing


def learned_matches(seed: Seed, rule, frame_id: int, *, texts: list[str], vectors: np.ndarray,
                    passage_ids: np.ndarray, article_ids: np.ndarray,
                    literal: np.ndarray | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The passages and articles a learned rule (``app.frames.learned``) takes for a seeded frame (``literal``:
    the seed's ``literal_matches`` in ``texts`` when the caller has them already).

    An article joins when its combined score is at least the rule's threshold, or through a literal phrase
    match. Each joining article's passages scoring at least the threshold are its matches (its best passage
    when none does), recorded with their own score and ``match = 'learned'``; literal matches keep
    ``'literal'``. Returns (passage matches: ``passage_id, frame_id, score, match, article_id``; article rows:
    ``article_id, frame_id, score, passages``, the score being the article's probability)."""
    scores = rule.passage_scores(vectors) if len(vectors) else np.zeros(0, np.float32)
    codes, owner = np.unique(article_ids, return_inverse=True)
    article_score = rule.article_scores(vectors, owner, len(codes)) if len(vectors) else np.zeros(0, np.float32)
    literal = literal_matches(texts, seed.phrases) if literal is None else literal
    joins = article_score >= rule.threshold
    lit_article = np.zeros(len(codes), dtype=bool)
    np.logical_or.at(lit_article, owner, literal)
    article_in = joins | lit_article
    # The best passage of each article, for articles none of whose passages reaches the threshold.
    best = np.full(len(codes), -1)
    order = np.lexsort((-scores, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]] if len(order) else np.zeros(0, bool)
    best[owner[order][first]] = order[first]
    take = literal | (joins[owner] & (scores >= rule.threshold))
    has = np.zeros(len(codes), dtype=bool)
    np.logical_or.at(has, owner, take)
    fill = np.flatnonzero(joins & ~has)
    take[best[fill]] = True
    rows = np.flatnonzero(take)
    passages = pd.DataFrame({"passage_id": passage_ids[rows], "frame_id": frame_id,
                             "score": scores[rows].astype(np.float32),
                             "match": np.where(literal[rows], "literal", "learned"), "article_id": article_ids[rows]})
    counts = passages.groupby("article_id").size()
    chosen = np.flatnonzero(article_in)
    articles = pd.DataFrame({"article_id": codes[chosen], "frame_id": frame_id,
                             "score": article_score[chosen].astype(np.float32)})
    articles["passages"] = articles["article_id"].map(counts).fillna(0).astype("int32")
    return passages, articles.astype({"frame_id": "int32"})


def start_from_sample(frames_file: str | Path) -> bool:
    """Copy the bundled sample's seeded frames to ``frames_file`` when there is no seeds file yet (the
    dashboard's first start, so the sample's seeded frames can be edited and reviewed there); True if
    copied. An existing seeds file is never touched."""
    from app.config import SAMPLE_SEEDS

    frames_file = Path(frames_file)
    if frames_file.exists() or not SAMPLE_SEEDS.exists():
        return False
    frames_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = frames_file.with_name(frames_file.name + ".tmp")
    tmp.write_text(SAMPLE_SEEDS.read_text(encoding="utf-8"), encoding="utf-8")
    tmp.replace(frames_file)
    return True


REVIEW_SIZE = 20  # articles per seeded frame in the review queue


def boundary_queue(article_ids: np.ndarray, passage_ids: np.ndarray, passage_scores: np.ndarray,
                   article_scores: dict | None, threshold: float, literal: np.ndarray,
                   size: int = REVIEW_SIZE) -> pd.DataFrame:
    """The articles nearest a seeded frame's decision boundary, for review: each article's score (its learned
    probability, else its best passage's cosine), the passage shown (its best-scoring one), whether the
    frame takes it (score at least the threshold) and the margin. Articles with a literal phrase match are
    left out: a phrase decides them, not the boundary. The ``size`` with the smallest distance to the
    threshold, nearest first."""
    codes, owner = np.unique(np.asarray(article_ids), return_inverse=True)
    scores = np.asarray(passage_scores, dtype=np.float64)
    lit = np.zeros(len(codes), dtype=bool)
    np.logical_or.at(lit, owner, np.asarray(literal, dtype=bool))
    order = np.lexsort((-scores, owner))
    first = np.r_[True, owner[order][1:] != owner[order][:-1]] if len(order) else np.zeros(0, bool)
    best = np.full(len(codes), -1)
    best[owner[order][first]] = order[first]
    score = scores[best] if article_scores is None else np.asarray([article_scores[c] for c in codes], np.float64)
    keep = np.flatnonzero(~lit & (best >= 0))
    keep = keep[np.argsort(np.abs(score[keep] - threshold), kind="stable")[:size]]
    return pd.DataFrame({"article_id": codes[keep], "passage_id": np.asarray(passage_ids)[best[keep]],
                         "score": score[keep].astype(np.float32), "threshold": np.float32(threshold),
                         "matched": score[keep] >= threshold})


# A learned rule's background was drawn from the passages the archive held when it was fitted; once the archive
# holds this many times as many, the build, `narratives status` and the Frames page say so (the rule is kept:
# fitting it again moves the frame's earlier articles).
STALE_GROWTH = 2.0


def rule_outgrown(fitted_passages, passages_now, growth: float = STALE_GROWTH) -> bool:
    """Whether the archive holds at least ``growth`` times the passages it held when a learned rule was fitted
    (False when either is unknown)."""
    if pd.isna(fitted_passages) or pd.isna(passages_now):  # None, NaN or pandas' NA
        return False
    return passages_now >= growth * max(int(fitted_passages), 1)


def outgrown_rules(sizes: pd.DataFrame, growth: float = STALE_GROWTH) -> pd.DataFrame:
    """The rows of ``sizes`` (``Store.learned_rule_sizes``) whose rule the archive has outgrown
    (:func:`rule_outgrown`)."""
    keep = [rule_outgrown(f, n, growth) for f, n in zip(sizes["fitted_passages"], sizes["passages"])]
    return sizes[keep] if len(sizes) else sizes


def describe_rule(frame, stale_growth: float = STALE_GROWTH) -> str:
    """How a seeded frame decides, in words, with its estimated precision when it learned from examples, and
    the archive's growth since the rule was fitted when it is at least ``stale_growth`` times (``frame`` has
    ``rule``, ``est_precision``, ``fitted_passages`` and ``passages_now``, as ``Store.editable_frames`` gives
    them)."""
    if frame.get("rule") == "learned":
        precision = frame.get("est_precision")
        known = precision is not None and precision == precision
        fitted, now = frame.get("fitted_passages"), frame.get("passages_now")
        grown = ""
        if rule_outgrown(fitted, now, stale_growth):
            grown = f", fitted on {int(fitted):,} of today's {int(now):,} passages"
        return "learned from examples" + (f", precision about {precision:.0%} on them" if known else "") + grown
    return "phrases and paraphrase"
