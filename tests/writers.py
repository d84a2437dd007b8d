"""Writers that the tests run in another (spawned) process, kept out of the test modules so that the child
imports the store and nothing else."""

from app.store import Store


def hold_lock(db, ready, release) -> None:
    with Store.write(db):
        ready.set()
        release.wait(10)


def hold_build_open(db, ready, release) -> None:
    with Store.write(db) as store:
        store.conn.execute("DELETE FROM article_frames")  # a half-done state inside the build
        ready.set()
        release.wait(60)
