"""Named migrations: an older file upgrades (after a copy is set aside); a newer one is refused untouched."""

import sqlite3

import pytest

from dudu_desktop.storage import db as storage
from dudu_desktop.storage.schema import MIGRATIONS
from tests.conftest import make_context


def test_fresh_database_has_every_migration_wal_and_foreign_keys(db_path):
    database = storage.open_database(db_path)
    assert storage.applied_migrations(database) == [name for name, _ in MIGRATIONS]
    assert storage.schema_version(database) == len(MIGRATIONS)
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        database.execute(
            "INSERT INTO dispute_parties (id, village_code, created_at, updated_at, dispute_id, "
            "name) VALUES ('p', 'v', 'now', 'now', 'no-such-dispute', 'x')"
        )


def test_an_older_file_is_backed_up_then_upgraded(tmp_path):
    path = tmp_path / "old.sqlite3"
    conn = storage.connect(path)
    storage.migrate(conn, path, MIGRATIONS[:1])
    conn.close()
    ctx = make_context(path)  # opens with the program's full list (init writes a record)
    ctx.conn.close()

    def add_phone_note(c):
        c.execute("ALTER TABLE people ADD COLUMN wechat TEXT NOT NULL DEFAULT ''")

    migrations = [*MIGRATIONS, ("9001_people_wechat", add_phone_note)]
    database = storage.open_database(path, migrations=migrations)
    assert "wechat" in columns(database, "people")
    assert storage.applied_migrations(database)[-1] == "9001_people_wechat"
    assert database.execute("SELECT count(*) FROM settings").fetchone()[0] == 1  # data kept
    copies = list((tmp_path / "backups").glob("old.before-9001_people_wechat-*.sqlite3"))
    assert len(copies) == 1
    copy = sqlite3.connect(copies[0])
    assert storage.applied_migrations(copy) == [n for n, _ in MIGRATIONS]
    # Opening again applies nothing and makes no new copy.
    database.close()
    copies_before = sorted((tmp_path / "backups").glob("old.before-*.sqlite3"))
    storage.open_database(path, migrations=migrations).close()
    assert sorted((tmp_path / "backups").glob("old.before-*.sqlite3")) == copies_before


def columns(conn, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def test_a_failing_migration_leaves_the_file_at_the_previous_version(tmp_path):
    path = tmp_path / "f.sqlite3"
    storage.open_database(path).close()

    def broken(c):
        c.execute("ALTER TABLE people ADD COLUMN x TEXT")
        raise RuntimeError("disk unplugged")

    with pytest.raises(RuntimeError):
        storage.open_database(path, migrations=[*MIGRATIONS, ("9002_broken", broken)])
    database = storage.open_database(path)
    assert "x" not in columns(database, "people")
    assert storage.applied_migrations(database) == [n for n, _ in MIGRATIONS]


@pytest.mark.parametrize("how", ["unknown name", "higher user_version"])
def test_a_newer_schema_is_refused_and_the_file_left_unchanged(tmp_path, how):
    path = tmp_path / "new.sqlite3"
    conn = storage.connect(path)
    storage.migrate(conn, path)
    if how == "unknown name":
        conn.execute("INSERT INTO _migrations VALUES ('9999_from_the_future', 'later')")
    else:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(storage.SchemaTooNew, match="更新版本"):
        storage.open_database(path)
    assert path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_clearly(tmp_path):
    path = tmp_path / "junk.sqlite3"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(storage.DatabaseDamaged, match="备份"):
        storage.open_database(path)
