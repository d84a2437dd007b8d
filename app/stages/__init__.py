"""The stages of the build, each incremental and resumable; ``app.pipeline`` runs them in order.

* ``passages``: segment articles into passages, link syndicated copies, embed passage texts;
* ``frames``: discovered frames (clustering) and seeded frames (a user's phrases);
* ``provenance``: lineage (who said it first), evidence cues, and the evidence ledger.

A stage reads and writes through the store and records a run with its parameters; the algorithms it
applies live in the modules named for them (``app.frames``, ``app.fingerprints``, ``app.lineage``,
``app.evidence``).
"""
