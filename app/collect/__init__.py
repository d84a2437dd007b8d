"""Live collection: news feeds and URL lists to clean, dated article text (``narratives collect``).

:mod:`app.collect.feeds` (the feeds file, RSS/Atom/sitemaps), :mod:`app.collect.urls` (URL lists),
:mod:`app.collect.fetch` (polite, bounded HTTP), :mod:`app.collect.extract` (text and metadata from HTML,
also used by ingest), :mod:`app.collect.language` (ISO 639-1 codes), :mod:`app.collect.run` (a run: gather,
leave out what is settled, fetch, extract, store in resumable batches, log every fetch)."""
