"""What a user may do to a frame by hand, and the status each edit leaves it in.

A frame's status: ``active``; ``retired`` when a build no longer finds it; ``merged`` after a user folded
it into another frame; ``hidden`` after a user retired it by hand. Edits are kept and applied again after
every build, so a build never undoes them; ``restore`` undoes a merge or a retirement by hand.
"""

from __future__ import annotations

ACTIVE, RETIRED_BY_BUILD, MERGED, RETIRED_BY_HAND = "active", "retired", "merged", "hidden"
# Frames a user can see and edit in the Frames editor (a frame the build retired is gone for good).
EDITABLE = (ACTIVE, MERGED, RETIRED_BY_HAND)
ACTIONS = ("rename", "merge", "retire", "restore")
# The status the latest merge / retire / restore of a frame leaves it in after a build.
STATUS_AFTER = {"merge": MERGED, "retire": RETIRED_BY_HAND, "restore": ACTIVE}
# What the history says was done.
DONE = {"rename": "renamed", "merge": "merged into", "retire": "retired by hand", "restore": "restored"}


class EditRefused(ValueError):
    """An edit that the frame's state does not allow; the message says why."""


def check_edit(frame_id: int, status: str, action: str, value: str | None = None, into: int | None = None,
               into_exists: bool = False, into_final: int | None = None) -> None:
    """Raise :class:`EditRefused` unless ``action`` may be applied to frame ``frame_id`` (in ``status``).

    ``into``: the frame to merge into; ``into_exists``: whether it exists; ``into_final``: the frame it is
    itself merged into, if any (a merge lands in the end of that chain)."""
    if action not in ACTIONS:
        raise EditRefused(f"unknown edit {action!r}: rename, merge, retire or restore")
    if action == "rename" and (not value or not value.strip()):
        raise EditRefused("a new label is needed")
    if action == "merge":
        if into is None or not into_exists:
            raise EditRefused(f"no frame {into} to merge into")
        if (into_final or into) == frame_id:
            raise EditRefused(f"frame {into} is merged into frame {frame_id} already")
        if status not in (ACTIVE, RETIRED_BY_HAND):
            raise EditRefused(f"frame {frame_id} is {status}: only an active frame can be merged")
    if action == "restore" and status not in (MERGED, RETIRED_BY_HAND):
        raise EditRefused(f"frame {frame_id} is {status}: only a merged or retired-by-hand frame can be restored")
    if action == "retire" and status != ACTIVE:
        raise EditRefused(f"frame {frame_id} is {status}, not active")
