"""Migrations live in storage/migrations, one module per migration, and an old file upgrades to the
very schema a new file gets (issue 15)."""

import importlib
import pkgutil
import re
import sqlite3
from pathlib import Path

import pytest

import dudu_desktop.storage.migrations as migrations_package
from dudu_desktop.storage import db as storage
from dudu_desktop.storage.schema import MIGRATIONS

PACKAGE = Path(__file__).resolve().parent.parent / "dudu_desktop"
SHIPPED = [
    "0001_initial",
    "0002_search",
    "0004_users",
    "0003_sync",
    "0006_keys",
    "0007_speed",
    "0008_speed_stats",
    "0009_bulk_search",
    "0010_audit_rows",
    "0011_sync_epochs",
]


def _schema(path: Path) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(
            conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
        )
    finally:
        conn.close()


def test_the_shipped_names_and_order_never_change():
    names = [name for name, _ in MIGRATIONS]
    assert names[: len(SHIPPED)] == SHIPPED
    assert len(set(names)) == len(names)


def test_one_module_per_migration_in_storage():
    modules = {
        m.name: importlib.import_module(f"{migrations_package.__name__}.{m.name}")
        for m in pkgutil.iter_modules(migrations_package.__path__)
    }
    by_name = {mod.NAME: mod for mod in modules.values()}
    assert set(by_name) == {name for name, _ in MIGRATIONS}
    for name, apply in MIGRATIONS:
        module = by_name[name]
        assert module.apply is apply
        assert module.__name__.rsplit(".", 1)[1] == "m" + name  # m0003_sync holds 0003_sync


def test_no_ddl_outside_storage():
    """sync/ (and every other layer above storage) keeps its logic but creates no tables."""
    ddl = re.compile(r"\b(CREATE (TABLE|INDEX|UNIQUE INDEX|TRIGGER|VIRTUAL TABLE)|ALTER TABLE)\b")
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        layer = path.relative_to(PACKAGE).parts[0]
        if layer in ("storage", "ui"):
            continue  # ui: Qt (benchmark data, which drops and rebuilds indexes, lives in bench/)
        for line in path.read_text(encoding="utf-8").splitlines():
            if ddl.search(line) and "TEMP" not in line:
                offenders.append(f"{path.relative_to(PACKAGE)}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("applied", range(1, len(MIGRATIONS)))
def test_an_old_file_migrates_to_the_schema_of_a_new_one(tmp_path, applied):
    new = tmp_path / "new.sqlite3"
    storage.open_database(new).close()

    old = tmp_path / "old.sqlite3"
    conn = storage.connect(old)
    storage.migrate(conn, old, MIGRATIONS[:applied])
    conn.execute("INSERT INTO settings (key, value) VALUES ('site', '{}')")
    conn.close()
    database = storage.open_database(old)
    assert storage.applied_migrations(database) == [n for n, _ in MIGRATIONS]
    assert storage.schema_version(database) == len(MIGRATIONS)
    database.close()

    assert _schema(old) == _schema(new)
