"""Opening the DuckDB file that holds the analysis (its vectors are segments beside it: app.store.vectors).

Readers and writers never share a file:

* readers (the dashboard, ``narratives frames``/``export``) open the published
  file read-only;
* a writer (ingest, build) works on a private copy ``<db>.work`` under an
  exclusive lock, commits stage by stage, and when it finishes swaps the copy
  over the published file with one atomic ``os.replace``.

So a reader sees the state before a write or the state after it, never half of
one, and is never refused while a build runs. A crash leaves the published file
untouched and the ``.work`` copy holding every committed chunk; the next writer
resumes from it.

Each open uses a fresh in-memory DuckDB instance with the file ATTACHed, so a
file replaced on disk is really reopened (DuckDB caches instances per path).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import struct
import sys
import time
import weakref
from pathlib import Path
from typing import Callable, TypeVar

import duckdb

from app.store import vectors as vector_segments
from app.store.schema import MIGRATIONS

T = TypeVar("T")


class StoreError(RuntimeError):
    """A problem with the database file, phrased with the next step to take."""


class StoreBusy(StoreError):
    pass


class StoreMissing(StoreError):
    pass


class StoreDamaged(StoreError):
    """The database file cannot be read (truncated, overwritten, not a DuckDB file)."""


class HeldForWriting(StoreBusy):
    """Another program (a DuckDB client) has the published file open for writing."""


class StorePending(StoreBusy):
    """An interrupted write of another kind left its work unpublished: finish it or discard it first."""


class StoreTooNew(StoreError):
    """The database was written by a newer version of this tool, whose schema this version does not know:
    reading it could misread what the newer version added, and writing it could leave it half-upgraded."""


def too_new(path, have: int, known: int, to: str) -> StoreTooNew:
    where = f"{path} was" if path else "the database was"
    return StoreTooNew(f"{where} written by a newer version of Narrative Tracker (schema {have}; this version knows "
                       f"schema {known}): upgrade Narrative Tracker to {to} it (`pip install -U narrative-tracker`, or "
                       "pull and `pip install -e .` in a checkout). Nothing was changed.")


class NothingToPublish(StoreError):
    """Raised by a writer's body to drop its work instead of publishing it (e.g. an ingest that read no
    article into a database that did not exist before)."""


def explain(exc: BaseException, path: str | os.PathLike | None = None) -> StoreError:
    """A DuckDB error in words a user can act on: a damaged file and a file another program holds are
    told apart from a refused statement."""
    text = str(exc)
    where = f" {path}" if path else ""
    low = text.lower()
    if "conflicting lock" in low or "could not set lock" in low:
        pid = re.search(r"PID (\d+)", text)
        return StoreBusy(f"another program{f' (process {pid.group(1)})' if pid else ''} has the database{where} open "
                         "for writing (a DuckDB client, a notebook?); close it there and try again. Nothing was changed.")
    if isinstance(exc, duckdb.IOException) or "not a valid duckdb" in low or "corrupt" in low:
        return StoreDamaged(f"the database file{where} is damaged or unreadable ({text.splitlines()[0]}); restore it "
                          "from a copy, or make it again with `narratives ingest` and `narratives build`. "
                          "Nothing was changed.")
    return StoreError(f"the database refused a statement: {text}")


def held_by_another_program(path: Path) -> None:
    """Raise :class:`StoreBusy` when another process holds ``path`` read-write (a DuckDB client outside
    this tool): copying it now could copy half a write, and publishing over it would lose that
    program's later writes."""
    if not path.exists():
        return
    probe = duckdb.connect(":memory:")
    try:
        probe.execute(f"ATTACH '{_quote(str(path))}' AS probe (READ_ONLY)")
    except duckdb.Error as exc:
        err = explain(exc, path)
        if isinstance(err, StoreBusy):
            raise err from exc
    finally:
        probe.close()


def duckdb_memory_mb(budget_mb: int) -> int:
    """DuckDB's share of a build's memory budget (``memory_budget``): half of it, at least 128 MB; the other
    half is for the stages' own arrays (their chunk sizes follow it, see ``app.stages.passages``)."""
    return max(128, int(budget_mb) // 2)


def spill_dir(path: str | os.PathLike) -> Path:
    """The folder beside the database where DuckDB spills what does not fit its memory limit."""
    path = Path(path)
    return path.with_name(path.name + ".tmp")


def connect(path: str | os.PathLike | None = None, read_only: bool = False, memory_mb: int | None = None,
            spill: str | os.PathLike | None = None,
            vectors: str | os.PathLike | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with ``path`` attached as the default catalog (``None``: in memory). ``memory_mb`` caps
    DuckDB's memory (its ``memory_limit``; ``None``: DuckDB's default, 80% of the machine's), spilling
    sorts, joins and aggregates that do not fit to ``spill`` (default: :func:`spill_dir` of ``path``).
    ``vectors`` is the folder of the database's vector segments (default: ``<path>.vectors``, see
    :mod:`app.store.vectors`; a writer's work copy names the published file's)."""
    conn = duckdb.connect(":memory:")
    if memory_mb is not None:
        conn.execute(f"SET memory_limit = '{int(memory_mb)}MB'")
        if path is not None or spill is not None:
            conn.execute(f"SET temp_directory = '{_quote(str(spill or spill_dir(path)))}'")
    # Every stored time is UTC: ``now()`` (run records) must agree with the UTC ``ingested_at`` of
    # articles whatever the machine's time zone, or an incremental build east of UTC skips new articles.
    conn.execute("SET TimeZone = 'UTC'")
    if path is None:
        vector_segments.install(conn, None)
        return conn
    path = Path(path)
    mode = " (READ_ONLY)" if read_only else ""
    for attempt in range(_PIN_ATTEMPTS):
        pin, missing, held = None, False, None
        if read_only:
            try:
                pin = pin_file(path)
            except FileNotFoundError:
                missing = True
            except HeldForWriting as exc:  # attached below, DuckDB names the program holding it
                held = exc
            except StoreError:
                conn.close()
                raise
        try:
            conn.execute(f"ATTACH '{_quote(str(path))}' AS narratives{mode}")
        except duckdb.Error as exc:
            conn.close()
            if pin is not None:
                os.close(pin)
            if read_only and not path.exists():
                raise StoreMissing(
                    f"no database at {path}: run `narratives ingest FILE --db {path}` and `narratives build --db {path}` first"
                ) from exc
            raise explain(exc, path) from exc
        if held is not None:  # attached though another program locks it: not read unpinned
            conn.close()
            raise held
        if missing and _F_OFD_SETLK is not None:  # published between the pin and the attach: pin it, attach again
            conn.execute("DETACH narratives")
            continue
        if pin is None or same_file(pin, path):
            break
        # a write published another state between the pin and the attach: pin the new one, attach again
        os.close(pin)
        conn.execute("DETACH narratives")
    else:  # never returned attached but unpinned: its file could be written over as a spare
        conn.close()
        raise StoreBusy(f"{path} changed {_PIN_ATTEMPTS} times while it was being opened; try again")
    if pin is not None:
        hold_pin(conn, pin)
    conn.execute("USE narratives")
    vector_segments.install(conn, Path(vectors) if vectors is not None else vector_segments.vectors_dir(path))
    return conn


# A reader pins the file it reads: an open-file-description read lock (Linux), which a writer tries before it
# writes over an earlier state kept as the spare (:func:`refresh_spare`). DuckDB's own lock would do, but a
# process loses its POSIX locks on a file whenever it closes any descriptor of that file (as checking the
# published file before a write does), so it cannot be trusted within one process.
_PIN_ATTEMPTS = 5
_PINS: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, weakref.finalize]" = weakref.WeakKeyDictionary()


def pin_file(path: Path) -> int | None:
    """A descriptor of the file published at ``path`` holding a read lock on it, or None: no such file, or no
    such locks here (not on this system or this file system: then no spare is ever written over either, since
    :func:`refresh_spare` cannot take its lock). Raises FileNotFoundError when there is no file,
    :class:`HeldForWriting` when another program holds it for writing, :class:`StoreBusy` when it kept changing,
    :class:`StoreError` when it cannot be opened."""
    if _F_OFD_SETLK is None:
        if not path.exists():
            raise FileNotFoundError(path)
        return None
    for _ in range(_PIN_ATTEMPTS):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            raise
        except OSError as exc:
            raise StoreError(f"cannot read {path}: {exc.strerror}") from exc
        try:
            fcntl.fcntl(fd, _F_OFD_SETLK, _flock(fcntl.F_RDLCK))
        except OSError as exc:
            published = same_file(fd, path)
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                return None  # no such locks on this file system
            if published:  # a writer of this tool never locks the published file: another program does
                raise HeldForWriting(
                    f"another program has the database {path} open for writing (a DuckDB client, a notebook?); "
                    "close it there and try again. Nothing was changed.") from exc
            continue  # a writer is bringing this file up to date as its work copy: no longer published
        if same_file(fd, path):
            return fd
        os.close(fd)
    raise StoreBusy(f"{path} changed {_PIN_ATTEMPTS} times while it was being opened; try again")


def _flock(kind: int) -> bytes:
    """A ``struct flock`` over the whole file (l_type, l_whence, padding, l_start, l_len, l_pid, padding), as
    Linux lays it out on 64-bit machines; l_pid must be 0 for an open-file-description lock."""
    return struct.pack("hh4xqqi4x", kind, os.SEEK_SET, 0, 0, 0)


def same_file(fd: int, path: Path) -> bool:
    try:
        a, b = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def hold_pin(conn: duckdb.DuckDBPyConnection, fd: int) -> None:
    """Keep the pin ``fd`` as long as ``conn`` is open: released by :func:`release_pin` (a store's close) or
    when the connection is collected, whichever comes first (a finalizer runs once)."""
    _PINS[conn] = weakref.finalize(conn, os.close, fd)


def release_pin(conn: duckdb.DuckDBPyConnection) -> None:
    """Let go of the pin ``conn`` holds, if any (after closing it)."""
    done = _PINS.pop(conn, None)
    if done is not None:
        done()


def share_pin(conn: duckdb.DuckDBPyConnection, cursor: duckdb.DuckDBPyConnection) -> None:
    """A cursor of ``conn`` reads the same file: it holds the pin too (a duplicate descriptor: the lock lasts
    until the last of them is closed), so a query on the cursor is covered after the connection is gone."""
    done = _PINS.get(conn)
    held = done.peek() if done is not None else None  # None once released
    if held is not None:
        hold_pin(cursor, os.dup(held[2][0]))


def _quote(text: str) -> str:
    return text.replace("'", "''")


def migrate(conn: duckdb.DuckDBPyConnection, path: str | os.PathLike | None = None) -> list[int]:
    """Apply pending migrations; each together with its version row, in one transaction. A migration is
    SQL, or a function of the connection where it moves data (migration 25: the vectors into segments).
    Raises :class:`StoreTooNew`, changing nothing, for a database a newer version has migrated further."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations").fetchall()}
    known = max(m[0] for m in MIGRATIONS)
    if done and max(done) > known:
        raise too_new(path, max(done), known, "write")
    applied = []
    for version, name, sql in MIGRATIONS:
        if version in done:
            continue
        started = time.perf_counter()
        if done:  # an upgrade (a new database takes every migration at once, silently): say what is done
            print(f"upgrading the database to schema {version}: {_headline(name)}…", file=sys.stderr, flush=True)
        conn.execute("BEGIN TRANSACTION")
        try:
            if callable(sql):
                sql(conn)
            else:
                conn.execute(sql)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, now()::TIMESTAMP)", [version, name]
            )
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
        if done:
            print(f"upgraded to schema {version} in {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        applied.append(version)
    vector_segments.refresh_view(conn)
    return applied


def _headline(name: str) -> str:
    """A migration's description up to its first clause (the rest says why)."""
    return re.split(r",|;|:| \(", name, maxsplit=1)[0]


def file_version(path: str | os.PathLike) -> tuple[int, int] | None:
    """Identity of the published file: changes whenever a writer swaps in a new state."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def _work_paths(path: Path) -> tuple[Path, Path, Path]:
    return (
        path.with_name(path.name + ".work"),
        path.with_name(path.name + ".work.base"),
        path.with_name(path.name + ".lock"),
    )


def _pending(base: Path) -> dict | None:
    """What the work copy's marker says: the published state it started from, the write it is for
    (``purpose``) and when it started; None when there is no readable marker."""
    try:
        marker = json.loads(base.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict):  # written by an older version: the published state alone, a build's
        marker = {"published": marker, "purpose": "build", "started": None}
    return marker


def _same_state(marker: dict | None, current) -> bool:
    return marker is not None and json.dumps(marker.get("published")) == json.dumps(current)


def pending_work(path: str | os.PathLike) -> dict | None:
    """The interrupted write waiting on ``path`` (``purpose``, ``started``), or None."""
    path = Path(path)
    work, base, _ = _work_paths(path)
    if not work.exists():
        return None
    marker = _pending(base)
    if not _same_state(marker, file_version(path)):
        return None  # stale: the next writer discards it
    return {"purpose": marker.get("purpose", "build"), "started": marker.get("started")}


def resume_command(purpose: str) -> str:
    """The command that finishes an interrupted write of ``purpose``."""
    if purpose.startswith("upload "):  # the dashboard's Data page: the uploaded file is gone, send it again
        return f"upload {purpose[len('upload '):]} again on the Data page"
    return "narratives build" if purpose == "build" else f"narratives {purpose}"


@contextlib.contextmanager
def writing(path: str | os.PathLike, purpose: str = "build", resumable: bool = True,
            memory_budget: int | None = None):
    """Yield a read-write connection on a private copy of ``path``; publish it on success.

    ``purpose`` names the write as a command would repeat it (``build``, ``ingest a.jsonl``,
    ``edit``...). Work left by an interrupted write is resumed only by a write of the same purpose: any
    other would publish its half-done state (a build's frames without lineage, half of an ingested file)
    as if it were whole, so it is refused with :class:`StorePending`, naming the command that finishes
    the pending work and the one that drops it. Raises :class:`StoreBusy` when another writer holds the
    lock. A body that raises :class:`NothingToPublish` drops its work and publishes nothing; so does any
    failure of a write that is not ``resumable`` (a short one, such as an edit: nothing to resume).
    ``memory_budget`` (MB, the setting) gives DuckDB its share (:func:`duckdb_memory_mb`) as its memory limit;
    it spills to ``<db>.tmp``, removed when the write ends.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    work, base, lock = _work_paths(path)
    with open(lock, "a+") as lock_fh:
        try:
            fcntl.flock(lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreBusy(
                f"another ingest or build is writing {path}; wait for it to finish and try again"
            ) from exc
        current = file_version(path)
        marker = _pending(base)
        if work.exists() and not _same_state(marker, current):
            # Left over from a different published state: it cannot be resumed.
            _remove_work(work, base)
        if work.exists() and marker.get("purpose", "build") != purpose:
            pending = marker.get("purpose", "build")
            since = f" (started {marker['started']})" if marker.get("started") else ""
            raise StorePending(
                f"{path} has unpublished work from an interrupted {pending}{since}; publishing it with this "
                f"write would show half of it as done. Finish it ({resume_command(pending)}) or drop it "
                f"(narratives status --discard), then try again. Nothing was changed."
            )
        held_by_another_program(path)
        fresh = not work.exists()
        if fresh:
            made = make_work_copy(path, work) if path.exists() else None
            base.write_text(json.dumps({"published": current, "purpose": purpose, "copy": made,
                                        "started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}))
        else:
            made = (marker or {}).get("copy")
        conn = None

        def open_work() -> duckdb.DuckDBPyConnection:
            return connect(work, memory_mb=None if memory_budget is None else duckdb_memory_mb(memory_budget),
                           spill=spill_dir(path), vectors=vector_segments.vectors_dir(path))

        try:
            conn = open_work()
            applied = migrate(conn, path)
            if MOVED_VECTORS in applied and conn.execute("SELECT count(*) FROM vector_segments").fetchall()[0][0]:
                # The vectors left the file, but DuckDB never gives space back: rewrite it once, or every
                # later write would still copy the vectors' old blocks.
                conn.close()
                conn = None
                rewrite_compact(work)
                conn = open_work()
            if fresh:  # the work copy lists what the published state lists: what neither lists can go
                vector_segments.collect_garbage(conn)
            # Segments listed without their fixed-width sidecar (written before sidecars, or copied without
            # them) get one: a one-off, with progress on stderr.
            vector_segments.write_missing_sidecars(conn)
        except (duckdb.Error, StoreError) as exc:
            if conn is not None:
                conn.close()
            _remove_work(work, base)  # a copy of a damaged file, or of one a newer version wrote: nothing to resume
            if isinstance(exc, StoreTooNew):
                raise
            raise explain(exc.__cause__ or exc if isinstance(exc, StoreError) else exc, path) from exc
        try:
            yield conn
            conn.execute("CHECKPOINT")
            compact = worth_compacting(conn)
        except BaseException as exc:
            if isinstance(exc, NothingToPublish) or not resumable:
                conn.close()
                _remove_work(work, base)
            raise
        finally:
            conn.close()
            shutil.rmtree(spill_dir(path), ignore_errors=True)
        if compact:
            try:
                rewrite_compact(work, "its free space")
            except (OSError, duckdb.Error) as exc:  # only space is lost: publish the file as it is
                print(f"could not rewrite the database without its free space ({exc}); published as it is",
                      file=sys.stderr, flush=True)
        # Only reached when the body succeeded: publish atomically, unless a program outside this tool
        # opened the published file for writing meanwhile (its writes would be lost under the new file).
        held_by_another_program(path)
        with open(work, "rb") as fh:
            os.fsync(fh.fileno())
        if made in ("copy", "refresh"):
            keep_spare(path)
        os.replace(work, path)
        base.unlink(missing_ok=True)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def one_thread_if_short(conn: duckdb.DuckDBPyConnection, read: Callable[[], T],
                        release: Callable[[], object] | None = None) -> T:
    """``read()``, run again on one thread if DuckDB runs out of memory (a :class:`StoreError` caused by
    ``duckdb.OutOfMemoryException``; any other error is raised as it is), with a line on stderr and the
    connection's settings put back after. Each of DuckDB's threads holds its own hash tables, and a query
    over the whole archive (the per-frame plans) can need more than the memory limit leaves once the tables'
    key indexes are loaded. Before the second try ``release()`` (when given) lets go of what it can (a
    checkpoint writes the loaded key indexes out) and rows need not keep their order (the reads order their
    own). A second failure names what held DuckDB's memory. Only for a read outside a transaction, which a
    failure leaves as it was."""
    try:
        return read()
    except StoreError as exc:
        if not isinstance(exc.__cause__, duckdb.OutOfMemoryException):
            raise
    threads, limit, ordered = conn.execute("SELECT current_setting('threads'), current_setting('memory_limit'), "
                                           "current_setting('preserve_insertion_order')").fetchone()
    print(f"DuckDB ran out of memory ({limit}); reading again on one thread (slower). A larger memory_budget "
          "setting avoids this.", file=sys.stderr, flush=True)
    if release is not None:
        release()
    conn.execute("SET threads = 1")
    conn.execute("SET preserve_insertion_order = false")
    try:
        return read()
    except StoreError as exc:
        if not isinstance(exc.__cause__, duckdb.OutOfMemoryException):
            raise
        held = conn.execute("""SELECT tag, round(memory_usage_bytes / 1e6) FROM duckdb_memory()
                               WHERE memory_usage_bytes > 0 ORDER BY memory_usage_bytes DESC LIMIT 3""").fetchall()
        raise StoreError(f"{exc} (on one thread too; DuckDB's memory held by: "
                         + ", ".join(f"{tag} {mb:.0f} MB" for tag, mb in held)
                         + "). Set a larger memory_budget (narratives.toml or NARRATIVES_MEMORY_BUDGET) and run "
                         "the same command again: it resumes") from exc.__cause__
    finally:
        conn.execute(f"SET threads = {int(threads)}")
        conn.execute(f"SET preserve_insertion_order = {'true' if str(ordered).lower() == 'true' else 'false'}")


MOVED_VECTORS = 25  # the migration that moved the vectors out of the file
# A write rewrites its file before publishing it when at least this share of it, and this many MB, are free
# blocks (:func:`worth_compacting`).
COMPACT_FREE_SHARE = 1 / 3
COMPACT_FREE_MB = 64


def worth_compacting(conn: duckdb.DuckDBPyConnection, share: float | None = None,
                     at_least_mb: float | None = None) -> bool:
    """Whether the connection's database file holds enough free blocks to rewrite it without them. DuckDB
    reuses a freed block but never gives one back, so rewrites of large tables (a rebuild's memberships, a
    week's per-frame rows) leave a file that only grows (a 10k archive's from 81 to 134 MB over ten weekly
    updates, a third of it free), and a writer on a file system without reference links copies every block
    of it on every write."""
    row = conn.execute("""SELECT block_size, total_blocks, free_blocks FROM pragma_database_size()
                          WHERE database_name = current_database()""").fetchone()
    if not row or not row[1]:
        return False
    block, total, free = (int(x) for x in row)
    share = COMPACT_FREE_SHARE if share is None else share
    at_least_mb = COMPACT_FREE_MB if at_least_mb is None else at_least_mb
    return free >= share * total and free * block >= at_least_mb * 1e6


def rewrite_compact(path: Path, what: str = "the space its vectors took") -> None:
    """Rewrite a database file without its free blocks (DuckDB reuses freed blocks but never shrinks a file):
    every table, view, index and sequence copied into a new file, which then replaces it. ``what`` names the
    space given back, in the line it prints."""
    path = Path(path)
    new = path.with_name(path.name + ".compact")
    new.unlink(missing_ok=True)
    before = path.stat().st_size
    conn = duckdb.connect(":memory:")
    try:
        conn.execute(f"ATTACH '{_quote(str(path))}' AS old_file (READ_ONLY)")
        conn.execute(f"ATTACH '{_quote(str(new))}' AS new_file")
        conn.execute("COPY FROM DATABASE old_file TO new_file")
        conn.execute("DETACH new_file")
        conn.close()
        with open(new, "rb") as fh:
            os.fsync(fh.fileno())
    except BaseException:
        conn.close()
        new.unlink(missing_ok=True)
        new.with_name(new.name + ".wal").unlink(missing_ok=True)
        raise
    os.replace(new, path)
    print(f"rewrote the database without {what}: {before / 1e6:,.1f} MB -> "
          f"{path.stat().st_size / 1e6:,.1f} MB", file=sys.stderr, flush=True)


# The work copy where a clone is not possible: a private file holding an earlier published state (the spare),
# brought up to date by writing only the blocks that differ, is used instead of a copy of every byte.
SPARE_BLOCK = 256 * 1024  # DuckDB's block size: a write changes whole blocks
_F_OFD_SETLK = getattr(fcntl, "F_OFD_SETLK", None)  # Linux: a lock that conflicts with DuckDB's, even in-process


def spare_path(path: str | os.PathLike) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".spare")


def make_work_copy(path: Path, work: Path) -> str:
    """Make the writer's work copy of the published file ``path``; returns how: ``clone`` (reference links:
    nothing copied, see :func:`clone_file`), ``refresh`` (the spare left by the previous write, see
    :func:`keep_spare`, brought up to date by :func:`refresh_spare` and renamed) or ``copy`` (every byte)."""
    work.with_name(work.name + ".wal").unlink(missing_ok=True)
    if _clone(path, work):
        spare_path(path).unlink(missing_ok=True)  # a clone costs nothing: no spare is needed here
        return "clone"
    spare = spare_path(path)
    if refresh_spare(path, spare) is not None:
        os.replace(spare, work)
        return "refresh"
    shutil.copyfile(path, work)
    return "copy"


def keep_spare(path: Path) -> None:
    """Just before a write publishes its work file over ``path``: keep the state it replaces as the spare (a
    second name for the same file, so nothing is copied), which the next write brings up to date instead of
    copying the file whole. Readers still open on that state keep it as it is: the next write does not touch
    a spare that anyone has open (:func:`refresh_spare`)."""
    spare = spare_path(path)
    spare.unlink(missing_ok=True)
    if _F_OFD_SETLK is None or not path.exists():
        return
    try:
        os.link(path, spare)
    except OSError:  # no hard links on this file system: the next write copies the file whole
        spare.unlink(missing_ok=True)


def refresh_spare(path: Path, spare: Path) -> int | None:
    """Make ``spare`` byte for byte the published file ``path`` by writing only the blocks that differ; returns
    the bytes written, or None (and the spare is deleted) when it cannot be used: none, not a file of its own
    (still a name of the published file: a write stopped between keeping it and publishing), or open in some
    program (a reader still on the state it holds, in this process or another: every reader pins its file,
    :func:`pin_file`, and a DuckDB client outside this tool holds DuckDB's own lock, either of which makes the
    write lock tried here fail; no such locks on this system: not used either). Every byte of both files is
    read; a weekly update writes a third of the blocks or fewer (bench/RESULTS.md)."""
    try:
        st = os.lstat(spare)
    except FileNotFoundError:
        return None
    published = os.stat(path)
    if (_F_OFD_SETLK is None or not stat.S_ISREG(st.st_mode) or st.st_nlink != 1
            or (st.st_dev, st.st_ino) == (published.st_dev, published.st_ino)):
        spare.unlink(missing_ok=True)
        return None
    written = 0
    try:
        fd = os.open(spare, os.O_RDWR)
    except OSError:
        spare.unlink(missing_ok=True)
        return None
    try:
        try:
            # held until the fd closes, below: no DuckDB reader may open it meanwhile (none knows its name)
            fcntl.fcntl(fd, _F_OFD_SETLK, _flock(fcntl.F_WRLCK))
        except OSError:  # someone has it open: leave their state alone (they keep it once it is unlinked)
            os.close(fd)
            fd = -1
            spare.unlink(missing_ok=True)
            return None
        with open(path, "rb", buffering=0) as fin:
            offset = 0
            while True:
                block = fin.read(SPARE_BLOCK)
                if not block:
                    break
                if os.pread(fd, len(block), offset) != block:
                    done = 0
                    while done < len(block):  # a short write (a full disk) is finished or raises
                        done += os.pwrite(fd, memoryview(block)[done:], offset + done)
                    written += len(block)
                offset += len(block)
        os.ftruncate(fd, offset)
        if os.fstat(fd).st_size != offset:
            raise OSError(f"the spare is {os.fstat(fd).st_size} bytes, not {offset}")
        return written
    except OSError:
        spare.unlink(missing_ok=True)
        return None
    finally:
        if fd >= 0:
            os.close(fd)


def _clone(src: Path, dst: Path) -> bool:
    """Clone ``src`` to ``dst`` where the file system has reference links; False elsewhere."""
    system = os.uname().sysname
    if system == "Linux":
        try:
            with open(src, "rb") as fin, open(dst, "wb") as fout:
                fcntl.ioctl(fout.fileno(), _FICLONE, fin.fileno())
            return True
        except OSError:
            return False  # no reference links here (EOPNOTSUPP, EXDEV, EINVAL)
    if system == "Darwin":
        return _clonefile(src, dst)
    return False


# Linux's FICLONE ioctl (_IOW(0x94, 9, int)): the destination shares the source's blocks until either is written.
_FICLONE = 0x40049409


def clone_file(src: Path, dst: Path) -> str:
    """Copy ``src`` to ``dst`` for a writer's work copy; returns how (``clone`` or ``copy``).

    On a file system with reference links (Btrfs, XFS formatted with reflink, the default since 2019;
    ZFS 2.2; APFS on macOS) the copy is a clone: the two files share every block until one is written, so
    the copy costs nothing whatever the archive's size, and a build writes new blocks only where DuckDB
    changes the file. Elsewhere (ext4, network file systems) it is a plain copy of every byte."""
    if _clone(Path(src), Path(dst)):
        return "clone"
    shutil.copyfile(src, dst)
    return "copy"


def copy_database(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Copy a published database to ``dst``: its file, its vector segments (``<db>.vectors``) and its current
    nearest-neighbour indexes (``app.ann.copy_indexes``), linked where the file system allows, since
    segments and index generations are never written again."""
    from app import ann

    src, dst = Path(src), Path(dst)
    pin = pin_file(src)  # the state being copied cannot become a spare and be written over meanwhile
    dst.with_name(dst.name + ".wal").unlink(missing_ok=True)
    try:
        if pin is None:
            shutil.copyfile(src, dst)
        else:
            with open(dst, "wb") as fout:
                size, offset = os.fstat(pin).st_size, 0
                while offset < size:
                    sent = os.sendfile(fout.fileno(), pin, offset, min(size - offset, 1 << 30))
                    if sent == 0:
                        raise OSError(f"{src} ended at byte {offset} of {size} while it was copied")
                    offset += sent
    except BaseException:
        dst.unlink(missing_ok=True)
        raise
    finally:
        if pin is not None:
            os.close(pin)
    vector_segments.copy_folder(vector_segments.vectors_dir(src), vector_segments.vectors_dir(dst))
    ann.copy_indexes(src, dst)


def _clonefile(src: Path, dst: Path) -> bool:
    """macOS' clonefile(2) (APFS); False when it is not available or refuses."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        dst.unlink(missing_ok=True)  # clonefile creates the destination itself
        return libc.clonefile(os.fsencode(src), os.fsencode(dst), 0) == 0
    except (OSError, AttributeError):
        return False


def _remove_work(work: Path, base: Path) -> None:
    for p in (work, work.with_name(work.name + ".wal"), base):
        p.unlink(missing_ok=True)


def has_pending_work(path: str | os.PathLike) -> bool:
    """True when an interrupted writer left progress that the next write of its kind resumes."""
    return pending_work(path) is not None


def discard_pending(path: str | os.PathLike) -> dict | None:
    """Drop the work an interrupted write left (under the writers' lock); returns what was dropped."""
    path = Path(path)
    work, base, lock = _work_paths(path)
    with open(lock, "a+") as lock_fh:
        try:
            fcntl.flock(lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise StoreBusy(f"another ingest or build is writing {path}; wait for it to finish") from exc
        dropped = pending_work(path) if work.exists() else None
        if work.exists() and dropped is None:
            dropped = {"purpose": "stale", "started": None}
        _remove_work(work, base)
        return dropped
