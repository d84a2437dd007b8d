"""Settings: defaults, then an optional TOML file, then environment variables.

This is the only module that reads the environment. Everything else receives a
``Settings`` object (or the individual values) as an argument.
"""

from __future__ import annotations

import dataclasses
import os
try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package
    import tomli as tomllib
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
# A checkout (or an editable install of one) keeps its data under the project's data/; an installed copy
# (a wheel) has no project folder: its database is data/narratives.duckdb under the folder it is started
# from, and the bundled sample is package data (app/sample/, copied from data/sample/ into the wheel).
CHECKOUT = (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "data" / "sample").is_dir()
DATA_DIR = PROJECT_ROOT / "data" if CHECKOUT else Path("data")
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample" if CHECKOUT else PACKAGE_DIR / "sample"
SAMPLE_PATH = SAMPLE_DIR / "articles.jsonl"
SAMPLE_OUTLETS = SAMPLE_DIR / "outlets.csv"
SAMPLE_SEEDS = SAMPLE_DIR / "frames.toml"  # the sample's seeded frames, with labelled examples
DEFAULT_DB = DATA_DIR / "narratives.duckdb"
# The dashboard's entry script, inside the package (what `narratives serve` runs).
DASHBOARD_SCRIPT = PACKAGE_DIR / "ui" / "entry" / "main.py"

ENV_PREFIX = "NARRATIVES_"
CONFIG_ENV = "NARRATIVES_CONFIG"
DEFAULT_CONFIG_FILE = "narratives.toml"


@dataclass(frozen=True)
class Settings:
    """Every tunable of the pipeline, with its default.

    ``model`` is ``"default"`` (the packaged all-MiniLM-L6-v2), a
    sentence-transformers model name, or a local path to such a model.
    """

    db: Path = DEFAULT_DB
    model: str = "default"
    backend: str = "auto"
    device: str = "auto"
    cache_dir: Path | None = None
    batch_size: int = 64
    max_seq_length: int = 256
    # Segmentation.
    min_passage_chars: int = 40
    max_passage_chars: int = 1000
    max_article_chars: int = 200_000
    # Frame discovery.
    frame_threshold: float = 0.55
    min_frame_articles: int = 3
    min_frame_outlets: int = 2
    max_clusters: int = 5000
    # Frames whose centres are at least this similar are one frame (1.0: never merge).
    frame_merge_threshold: float = 0.85
    # A cluster whose passages are on average less related to the rest of their own articles than
    # this fraction of a typical (median) passage is publisher boilerplate (credits, sign-up lines,
    # bylines), not a frame.
    min_frame_anchoring: float = 0.6
    # Clusters that are fragments of one framing merge: complete-link agglomeration of their centres, less the
    # corpus' mean passage, stopped at this cosine (1.0: never). 0.7 is the loosest setting found at which
    # every onset check on the AllSides North Korea slice still holds (bench/RESULTS.md): looser merges
    # fragments better on the sample but dates merged frames from a neighbouring framing's start.
    frame_fragment_threshold: float = 0.7
    # ...and only when they took hold (a tenth of their passages had appeared) within this many days of each
    # other: a later coinage in the same vein is a framing of its own.
    frame_fragment_days: float = 28.0
    # ...and groups that retell one framing with the same supporting sentences: at least
    # ``frame_shared_sentences`` sentences (six words or more, held by at most three groups) in common, and one of
    # them in at least this share of each group's texts (above 1: never). On the AllSides North Korea slice no
    # two frames come near it (the closest pair: 0.17 of both with one sentence, 0.08 with two); on the sample it
    # joins the pieces of each written frame's paragraphs and nothing else (bench/RESULTS.md).
    frame_shared_share: float = 0.25
    frame_shared_sentences: int = 2
    # A headline joins the frame its article's lead paragraph tells, rather than the nearest frame, when its cosine
    # to that frame's centre is at least this (above 1: never; app.frames.discovery.headlines_with_leads). A
    # headline's few words sit farther from a frame's paragraphs than the paragraphs do: the sample's headlines
    # are 0.40 to 0.76 from their lead's frame.
    frame_title_threshold: float = 0.4
    # A passage shape (names, numbers, quotations masked) told with other fillers by at least this many
    # outlets is a template, set aside before clustering (0: off).
    template_min_outlets: int = 3
    # Stories: frames whose likeness (the larger of their centres' cosine and the share of the smaller
    # frame's articles that tell both) is this high on average (average link) belong to one story.
    story_threshold: float = 0.5
    discovery_iterations: int = 3
    frame_match_threshold: float = 0.85
    label_phrases: int = 3  # phrases kept per frame (frames.phrases): its label and the runner-ups
    # Copies (syndication).
    copy_threshold: float = 0.55
    copy_max_group: int = 200
    near_copy_threshold: float = 0.5  # Jaccard of word 5-grams for lightly edited copies
    first_mover_hours: float = 48.0
    # Seeded frames.
    frames_file: Path = Path("frames.toml")
    seed_threshold: float = 0.6
    # An article matched by paraphrase alone needs this many matching passages (literal matches always count).
    seed_min_passages: int = 1
    # Evidence: an item repeats an earlier one of the same kind when their passages are this similar.
    evidence_repeat_threshold: float = 0.4
    # Evidence: a cued passage elsewhere in an article counts for a frame when it is this close to the frame's
    # centre (its own passages and their neighbours always count; app/evidence/scope.py).
    evidence_about_threshold: float = 0.75
    # Collection (`narratives collect`): who to tell site owners to contact (an e-mail or a URL, sent in the
    # User-Agent), seconds between two requests to one host (robots.txt's Crawl-delay wins when longer),
    # requests at once to one host and in all, seconds before a request times out, the largest page or feed
    # read (the download stops there), redirects followed, retries of a passing failure (timeout, 429, 5xx)
    # and the first retry's wait in seconds (doubled each time; a server's Retry-After wins, up to a minute).
    collect_contact: str = ""
    collect_host_delay: float = 1.0
    collect_host_concurrency: int = 2
    collect_concurrency: int = 8
    collect_timeout: float = 20.0
    collect_max_bytes: int = 5_000_000
    collect_max_redirects: int = 5
    collect_retries: int = 3
    collect_backoff: float = 2.0
    # Memory (MB) a build aims to stay within: half goes to DuckDB (its memory_limit; what does not fit spills
    # to a temporary folder beside the database), the rest sets the chunks the stages read and write at a time.
    # The frames stage holds every embedded passage's vector whatever the budget (docs/scale.md).
    memory_budget: int = 2048
    sample: Path = SAMPLE_PATH
    extra: dict = field(default_factory=dict)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)


_CONVERTERS = {f.name: f.type for f in dataclasses.fields(Settings)}


def _convert(name: str, value):
    kind = _CONVERTERS[name]
    if kind in ("Path", Path, "Path | None"):
        return Path(value).expanduser()
    if kind in ("int", int):
        return int(value)
    if kind in ("float", float):
        return float(value)
    if kind in ("str", str):
        return str(value)
    return value


class ConfigError(ValueError):
    pass


def load_settings(config_file: str | os.PathLike | None = None, env=None, **overrides) -> Settings:
    """Build settings from defaults, a TOML file, the environment and explicit overrides.

    Later sources win: defaults < TOML < ``NARRATIVES_*`` environment < overrides.
    Overrides whose value is ``None`` are ignored, so CLI options can be passed
    straight through.
    """
    env = os.environ if env is None else env
    values: dict = {}
    path = config_file or env.get(CONFIG_ENV)
    if path is None and Path(DEFAULT_CONFIG_FILE).is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        with path.open("rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
        section = data.get("narratives", data)
        for key, value in section.items():
            if key not in _CONVERTERS or key == "extra":
                raise ConfigError(
                    f"config file {path}: unknown setting {key!r}; known: {', '.join(sorted(_CONVERTERS))}"
                )
            values[key] = _convert(key, value)
    for name in _CONVERTERS:
        if name == "extra":
            continue
        raw = env.get(ENV_PREFIX + name.upper())
        if raw not in (None, ""):
            try:
                values[name] = _convert(name, raw)
            except ValueError as exc:
                raise ConfigError(f"environment {ENV_PREFIX + name.upper()}={raw!r}: {exc}") from exc
    for name, value in overrides.items():
        if value is None:
            continue
        if name not in _CONVERTERS:
            raise ConfigError(f"unknown setting {name!r}")
        values[name] = _convert(name, value)
    return Settings(**values)
