"""The register search box: Chinese substring search over each register's text columns.

Design
------
* Words of **3 or more characters** go through an FTS5 index with the ``trigram`` tokenizer: a
  quoted phrase query matches exactly the rows where the word is a substring of one text column
  (the same rows ``LIKE '%word%'`` finds), without scanning the table.
* Words of **1–2 characters** (most Chinese words: 邻居, 土地, 婚姻) cannot be found by a trigram
  MATCH (and on SQLite 3.40 not by ``LIKE`` on the trigram table either). They are matched with
  ``LIKE`` on the register's own text columns; the other filters (month, village, type, the longer
  words' MATCH) narrow the rows the LIKE has to look at.
* Every word must appear (AND); a word may appear in any of the text columns.

Index layout (migration ``0002_search``), for each register table ``T``:

* ``T_search_key (k INTEGER PRIMARY KEY, id TEXT UNIQUE)``: a stable integer key for each row.
  The register tables have UUID primary keys, so their implicit rowid may change on ``VACUUM``;
  an external-content index keyed on it would silently go wrong. ``k`` never changes.
* ``T_fts``: a contentless FTS5 table (``content=''``; the text is not stored twice), rowid = ``k``.
* Triggers on insert / update of a text column / delete keep both up to date, whoever writes the
  row (services, bundle import, restore). The migration indexes the rows already present.

:func:`rebuild` recreates the index from the tables (for a repair tool).
"""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.queries import REGISTERS, meta

#: A trigram needs three characters.
MIN_TRIGRAM = 3


def _names(table: str) -> tuple[str, str]:
    return f"{table}_search_key", f"{table}_fts"


def _ddl(register: str) -> list[str]:
    m = meta(register)
    key, fts = _names(m.table)
    cols = ", ".join(m.text)
    new_vals = ", ".join(f"coalesce(new.{c}, '')" for c in m.text)
    old_vals = ", ".join(f"coalesce(old.{c}, '')" for c in m.text)
    return [
        f"CREATE TABLE {key} (k INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)",
        f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='', tokenize='trigram')",
        f"""CREATE TRIGGER {m.table}_search_ai AFTER INSERT ON {m.table} BEGIN
              INSERT OR IGNORE INTO {key} (id) VALUES (new.id);
              INSERT INTO {fts} (rowid, {cols})
                   VALUES ((SELECT k FROM {key} WHERE id = new.id), {new_vals});
            END""",
        f"""CREATE TRIGGER {m.table}_search_au AFTER UPDATE OF {cols} ON {m.table} BEGIN
              INSERT INTO {fts} ({fts}, rowid, {cols})
                   VALUES ('delete', (SELECT k FROM {key} WHERE id = old.id), {old_vals});
              INSERT INTO {fts} (rowid, {cols})
                   VALUES ((SELECT k FROM {key} WHERE id = new.id), {new_vals});
            END""",
        f"""CREATE TRIGGER {m.table}_search_ad AFTER DELETE ON {m.table} BEGIN
              INSERT INTO {fts} ({fts}, rowid, {cols})
                   VALUES ('delete', (SELECT k FROM {key} WHERE id = old.id), {old_vals});
              DELETE FROM {key} WHERE id = old.id;
            END""",
    ]


def _fill(conn: sqlite3.Connection, register: str) -> None:
    m = meta(register)
    key, fts = _names(m.table)
    cols = ", ".join(m.text)
    vals = ", ".join(f"coalesce(t.{c}, '')" for c in m.text)
    conn.execute(f"INSERT OR IGNORE INTO {key} (id) SELECT id FROM {m.table} ORDER BY rowid")
    conn.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT s.k, {vals} FROM {m.table} t "
                 f"JOIN {key} s ON s.id = t.id")


def migrate_0002_search(conn: sqlite3.Connection) -> None:
    """Create the trigram indexes and their triggers, and index the rows already there."""
    for register in REGISTERS:
        for statement in _ddl(register):
            conn.execute(statement)
        _fill(conn, register)


def rebuild(conn: sqlite3.Connection) -> None:
    """Drop and recreate every search index (inside the caller's transaction, or autocommit)."""
    for register in REGISTERS:
        m = meta(register)
        key, fts = _names(m.table)
        for trig in ("ai", "au", "ad"):
            conn.execute(f"DROP TRIGGER IF EXISTS {m.table}_search_{trig}")
        conn.execute(f"DROP TABLE IF EXISTS {fts}")
        conn.execute(f"DROP TABLE IF EXISTS {key}")
    migrate_0002_search(conn)


def has_index(conn: sqlite3.Connection, register: str) -> bool:
    _key, fts = _names(meta(register).table)
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (fts,)).fetchone() is not None


def words(text: str | None) -> list[str]:
    """The query's words (split on white space, including the ideographic space)."""
    return (text or "").replace("\u3000", " ").split()


def _like(word: str) -> str:
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def like_word_clause(register: str, word: str, *, alias: str = "") -> tuple[str, list]:
    m = meta(register)
    a = f"{alias}." if alias else ""
    sql = "(" + " OR ".join(f"{a}{c} LIKE ? ESCAPE '\\'" for c in m.text) + ")"
    return sql, [_like(word)] * len(m.text)


def fts_word_clause(register: str, word: str, *, alias: str = "") -> tuple[str, list]:
    """Rows whose text columns contain ``word`` (3+ characters) as a substring, through the index."""
    m = meta(register)
    a = f"{alias}." if alias else ""
    key, fts = _names(m.table)
    phrase = '"' + word.replace('"', '""') + '"'
    sql = (f"{a}id IN (SELECT s.id FROM {fts} f JOIN {key} s ON s.k = f.rowid "
           f"WHERE {fts} MATCH ?)")
    return sql, [phrase]


def search_clause(register: str, text: str | None, *, alias: str = "", use_index: bool = True) -> tuple[str, list]:
    """``(sql, args)`` for a WHERE part: every word appears in one of the register's text columns.

    ``use_index=False`` gives the plain LIKE form for every word (the reference the index is
    tested against, and a fallback for a database without the index).
    """
    parts, args = [], []
    for word in words(text):
        if use_index and len(word) >= MIN_TRIGRAM:
            sql, a = fts_word_clause(register, word, alias=alias)
        else:
            sql, a = like_word_clause(register, word, alias=alias)
        parts.append(sql)
        args += a
    return (" AND ".join(parts) or "1"), args
