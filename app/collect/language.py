"""The language of an article's text, as an ISO 639-1 code (py3langid: a small model, 97 languages).

The packaged embedding model is English: articles in other languages are embedded all the same, with
poorer frames (``narratives collect`` says how many were not English)."""

from __future__ import annotations

import threading

MIN_CHARS = 40  # below this the guess is noise: no language is stored
MIN_PROBABILITY = 0.5

_identifier = None
_loading = threading.Lock()


def load() -> None:
    """Load the model once (about a second); collection calls it before its worker threads start."""
    global _identifier
    with _loading:
        if _identifier is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or None when it is too short or the guess is unsure."""
    text = " ".join((text or "").split())
    if len(text) < MIN_CHARS:
        return None
    if _identifier is None:
        load()
    lang, probability = _identifier.classify(text[:5000])
    return lang if probability >= MIN_PROBABILITY else None
