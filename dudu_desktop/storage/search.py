"""The register search box: Chinese substring search over each register's text columns.

Design
------
* Words of **3 or more characters** go through an FTS5 index with the ``trigram`` tokenizer: a
  quoted phrase query matches exactly the rows where the word is a substring of one text column
  (the same rows ``LIKE '%word%'`` finds), without scanning the table.
* Words of **1–2 characters** (most Chinese words: 邻居, 土地, 婚姻) cannot be found by a trigram
  MATCH. Migration ``0007_speed`` adds a second contentless FTS5 index, ``T_fts2``, over the same
  columns stored **pre-split into overlapping 2-grams** (``邻居纠纷`` → ``邻居 居纠 纠纷 纷``, made by
  the triggers with a recursive CTE) and tokenized by ``unicode61`` (``remove_diacritics 0``), so a
  2-character word is one token: ``T_fts2 MATCH '"邻居"'``. A 1-character word is the prefix
  query ``"王"*`` on the same index (every occurrence of a character starts a 2-gram, or is the
  last character of the text). Words the 2-gram index cannot answer exactly — a character that
  ``unicode61`` treats as a separator or folds differently from ``LIKE`` (anything but ASCII
  letters/digits and CJK ideographs) — use ``LIKE`` on the register's own columns.
* **Strategy** (:func:`choose`): a word found in few rows is best answered *from the index*
  (``id IN (hits)``, then sort the hits); a word found in many rows (邻居 in a tenth of a million
  disputes) is best answered by *walking the sort index* and testing each row with ``LIKE`` until
  the page is full — the index hit list would have to be built in full first. The page query
  asks the index for at most :data:`FEW_HITS` + 1 hits per word to decide. Counting always goes
  through the index. Both forms return exactly the rows ``LIKE`` returns.
* Every word must appear (AND); a word may appear in any of the text columns.

Index layout (migration ``0002_search``), for each register table ``T``:

* ``T_search_key (k INTEGER PRIMARY KEY, id TEXT UNIQUE)``: a stable integer key for each row.
  The register tables have UUID primary keys, so their implicit rowid may change on ``VACUUM``;
  an external-content index keyed on it would silently go wrong. ``k`` never changes.
* ``T_fts``: a contentless FTS5 table (``content=''``; the text is not stored twice), rowid = ``k``.
* ``T_fts2`` (from ``0007_speed``): the 2-gram index, same rowid.
* Triggers on insert / update of a text column / delete keep all three up to date, whoever writes
  the row (services, restore). The migrations index the rows already present. From
  ``0009_bulk_search`` the triggers skip a bulk load (a bundle import, ``storage/bulk.py``), which
  takes the rows it overwrites out of the indexes and indexes what it wrote with one statement
  per index (:func:`bulk_unindex`, :func:`bulk_index`).

:func:`rebuild` recreates the index from the tables (for a repair tool).
"""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.registers import REGISTERS, meta

#: A trigram needs three characters.
MIN_TRIGRAM = 3
#: A word with more hits than this is searched by walking the sort index with LIKE (see :func:`choose`).
FEW_HITS = 5000


def _names(table: str) -> tuple[str, str]:
    return f"{table}_search_key", f"{table}_fts"


def _fts2(table: str) -> str:
    return f"{table}_fts2"


def _bigrams(expr: str) -> str:
    """SQL: ``expr`` as space-separated overlapping 2-grams (the last character alone at the end)."""
    return (
        f"(WITH RECURSIVE p(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM p WHERE n < length({expr})) "
        f"SELECT group_concat(substr({expr}, n, 2), ' ') FROM p)"
    )


#: SQL function (registered on the connection by the bulk paths only) computing what :func:`_bigrams` does.
BIGRAMS_FUNCTION = "dudu_bigrams"


def bigrams(value) -> str | None:
    """What :func:`_bigrams` gives for a text ``value``, computed in Python (about 3× faster over a
    bulk load than the recursive CTE). ``None`` for anything it might not reproduce exactly (not
    text, or text holding a NUL, where SQLite's ``length`` stops early); the SQL then falls back to the CTE."""
    if type(value) is not str or "\x00" in value:
        return None
    return " ".join([value[i : i + 2] for i in range(len(value))])


def _bulk_bigrams(expr: str) -> str:
    return f"coalesce({BIGRAMS_FUNCTION}({expr}), {_bigrams(expr)})"


def _with_bigrams(conn: sqlite3.Connection) -> None:
    conn.create_function(BIGRAMS_FUNCTION, 1, bigrams, deterministic=True)


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
    conn.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT s.k, {vals} FROM {m.table} t JOIN {key} s ON s.id = t.id")


def migrate_0002_search(conn: sqlite3.Connection) -> None:
    """Create the trigram indexes and their triggers, and index the rows already there."""
    for register in REGISTERS:
        for statement in _ddl(register):
            conn.execute(statement)
        _fill(conn, register)


def _ddl_0007(register: str) -> list[str]:
    """The 2-gram index, and triggers that keep the key, the trigram and the 2-gram index together
    (one trigger per event, so the order of the statements is fixed)."""
    m = meta(register)
    cols = ", ".join(m.text)
    return [
        *(f"DROP TRIGGER IF EXISTS {m.table}_search_{t}" for t in ("ai", "au", "ad")),
        f"CREATE VIRTUAL TABLE {_fts2(m.table)} USING fts5({cols}, content='', "
        f"tokenize='unicode61 remove_diacritics 0')",
        *triggers(register),
    ]


def triggers(register: str, when: str = "") -> list[str]:
    """The three triggers that keep the key, the trigram and the 2-gram index of ``register`` up to
    date (``0007_speed``); with ``when``, a ``WHEN`` condition (``0009_bulk_search``: skipped during
    a bulk load, which calls :func:`bulk_unindex` / :func:`bulk_index` instead)."""
    m = meta(register)
    key, fts = _names(m.table)
    fts2 = _fts2(m.table)
    cols = ", ".join(m.text)
    new_vals = ", ".join(f"coalesce(new.{c}, '')" for c in m.text)
    old_vals = ", ".join(f"coalesce(old.{c}, '')" for c in m.text)
    new_grams = ", ".join(_bigrams(f"coalesce(new.{c}, '')") for c in m.text)
    old_grams = ", ".join(_bigrams(f"coalesce(old.{c}, '')") for c in m.text)
    k_new = f"(SELECT k FROM {key} WHERE id = new.id)"
    k_old = f"(SELECT k FROM {key} WHERE id = old.id)"
    cond = f" WHEN {when}" if when else ""
    return [
        f"""CREATE TRIGGER {m.table}_search_ai AFTER INSERT ON {m.table}{cond} BEGIN
              INSERT OR IGNORE INTO {key} (id) VALUES (new.id);
              INSERT INTO {fts} (rowid, {cols}) VALUES ({k_new}, {new_vals});
              INSERT INTO {fts2} (rowid, {cols}) VALUES ({k_new}, {new_grams});
            END""",
        f"""CREATE TRIGGER {m.table}_search_au AFTER UPDATE OF {cols} ON {m.table}{cond} BEGIN
              INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', {k_old}, {old_vals});
              INSERT INTO {fts} (rowid, {cols}) VALUES ({k_new}, {new_vals});
              INSERT INTO {fts2} ({fts2}, rowid, {cols}) VALUES ('delete', {k_old}, {old_grams});
              INSERT INTO {fts2} (rowid, {cols}) VALUES ({k_new}, {new_grams});
            END""",
        f"""CREATE TRIGGER {m.table}_search_ad AFTER DELETE ON {m.table}{cond} BEGIN
              INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', {k_old}, {old_vals});
              INSERT INTO {fts2} ({fts2}, rowid, {cols}) VALUES ('delete', {k_old}, {old_grams});
              DELETE FROM {key} WHERE id = old.id;
            END""",
    ]


def _bulk_parts(conn: sqlite3.Connection, register: str, ids_table: str):
    """What both bulk statements need: the tables, the column list, the text and 2-gram values,
    and the rows of ``register`` whose ids are in ``ids_table`` joined to their index keys."""
    m = meta(register)
    key, fts = _names(m.table)
    cols = ", ".join(m.text)
    vals = ", ".join(f"coalesce(t.{c}, '')" for c in m.text)
    grams = ", ".join(_bulk_bigrams(f"coalesce(t.{c}, '')") for c in m.text)
    _with_bigrams(conn)
    rows = f"FROM {ids_table} b JOIN {m.table} t ON t.id = b.id JOIN {key} s ON s.id = t.id"
    return m, key, fts, _fts2(m.table), cols, vals, grams, rows


def bulk_unindex(conn: sqlite3.Connection, register: str, ids_table: str) -> None:
    """Remove from both indexes the rows of ``register`` whose ids are in ``ids_table (id)``, with
    the text they hold now (a contentless index deletes by the indexed text). Call before
    overwriting those rows while the triggers are off (a bulk load); new ids are simply not found."""
    _m, _key, fts, fts2, cols, vals, grams, rows = _bulk_parts(conn, register, ids_table)
    conn.execute(f"INSERT INTO {fts} ({fts}, rowid, {cols}) SELECT 'delete', s.k, {vals} {rows}")
    conn.execute(f"INSERT INTO {fts2} ({fts2}, rowid, {cols}) SELECT 'delete', s.k, {grams} {rows}")


def bulk_index(conn: sqlite3.Connection, register: str, ids_table: str) -> None:
    """Index the rows of ``register`` whose ids are in ``ids_table (id)`` as they are now (after a
    bulk load that wrote them with the triggers off, and :func:`bulk_unindex` before it)."""
    m, key, fts, fts2, cols, vals, grams, rows = _bulk_parts(conn, register, ids_table)
    conn.execute(
        f"INSERT OR IGNORE INTO {key} (id) SELECT t.id FROM {ids_table} b JOIN {m.table} t ON t.id = b.id "
        f"ORDER BY t.rowid"
    )
    conn.execute(f"INSERT INTO {fts} (rowid, {cols}) SELECT s.k, {vals} {rows}")
    conn.execute(f"INSERT INTO {fts2} (rowid, {cols}) SELECT s.k, {grams} {rows}")


#: Migration ``0009_bulk_search`` (:mod:`dudu_desktop.storage.bulk`): while this one-row table holds its
#: row (inside a bulk load's transaction only), the triggers do nothing; :data:`SKIP_DURING_BULK` says so.
BULK_FLAG = "_bulk_load"
SKIP_DURING_BULK = f"NOT EXISTS (SELECT 1 FROM {BULK_FLAG})"


def bulk_aware_triggers(conn: sqlite3.Connection) -> None:
    """(Re)create every register's search triggers with the bulk-load condition (``0009_bulk_search``)."""
    for register in REGISTERS:
        m = meta(register)
        for t in ("ai", "au", "ad"):
            conn.execute(f"DROP TRIGGER IF EXISTS {m.table}_search_{t}")
        for statement in triggers(register, SKIP_DURING_BULK):
            conn.execute(statement)


def migrate_0007_bigrams(conn: sqlite3.Connection) -> None:
    """Add the 2-gram index (and the combined triggers) and index the rows already there."""
    for register in REGISTERS:
        for statement in _ddl_0007(register):
            conn.execute(statement)
        m = meta(register)
        key, _fts = _names(m.table)
        cols = ", ".join(m.text)
        grams = ", ".join(_bigrams(f"coalesce(t.{c}, '')") for c in m.text)
        conn.execute(
            f"INSERT INTO {_fts2(m.table)} (rowid, {cols}) SELECT s.k, {grams} FROM {m.table} t "
            f"JOIN {key} s ON s.id = t.id"
        )


def rebuild(conn: sqlite3.Connection) -> None:
    """Drop and recreate every search index (inside the caller's transaction, or autocommit)."""
    for register in REGISTERS:
        m = meta(register)
        key, fts = _names(m.table)
        for trig in ("ai", "au", "ad"):
            conn.execute(f"DROP TRIGGER IF EXISTS {m.table}_search_{trig}")
        conn.execute(f"DROP TABLE IF EXISTS {_fts2(m.table)}")
        conn.execute(f"DROP TABLE IF EXISTS {fts}")
        conn.execute(f"DROP TABLE IF EXISTS {key}")
    migrate_0002_search(conn)
    migrate_0007_bigrams(conn)
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (BULK_FLAG,)).fetchone():
        bulk_aware_triggers(conn)  # 0009_bulk_search: the triggers skip bulk loads


def has_bigrams(conn: sqlite3.Connection, register: str) -> bool:
    fts2 = _fts2(meta(register).table)
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (fts2,)).fetchone() is not None


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


def _plain(ch: str) -> bool:
    """A character the 2-gram index answers exactly as LIKE does: ASCII letters and digits (both fold
    ASCII case only) and CJK ideographs (no case, no separators)."""
    o = ord(ch)
    return (
        (ch.isascii() and ch.isalnum())
        or 0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x2FA1F
    )


def indexed(word: str) -> str | None:
    """Which index answers ``word`` exactly: "trigram", "bigram" or None (LIKE)."""
    if len(word) >= MIN_TRIGRAM:
        return "trigram"
    if word and all(_plain(ch) for ch in word):
        return "bigram"
    return None


def _match(word: str) -> str:
    phrase = '"' + word.replace('"', '""') + '"'
    return phrase + "*" if len(word) == 1 else phrase


def fts_word_clause(register: str, word: str, *, alias: str = "") -> tuple[str, list]:
    """Rows whose text columns contain ``word`` as a substring, through the trigram index (3+
    characters) or the 2-gram index (1–2 plain characters)."""
    m = meta(register)
    a = f"{alias}." if alias else ""
    key, fts = _names(m.table)
    if len(word) < MIN_TRIGRAM:
        fts = _fts2(m.table)
    sql = f"{a}id IN (SELECT s.id FROM {fts} f JOIN {key} s ON s.k = f.rowid WHERE {fts} MATCH ?)"
    return sql, [_match(word)]


def hits(conn: sqlite3.Connection, register: str, word: str, cap: int = FEW_HITS) -> int:
    """How many rows the index finds for ``word``, counting no further than ``cap + 1``."""
    m = meta(register)
    fts = _names(m.table)[1] if len(word) >= MIN_TRIGRAM else _fts2(m.table)
    return conn.execute(
        f"SELECT count(*) FROM (SELECT rowid FROM {fts} WHERE {fts} MATCH ? LIMIT ?)", (_match(word), cap + 1)
    ).fetchone()[0]


def choose(conn: sqlite3.Connection, register: str, text: str | None) -> str:
    """ "index" when some word is answered by an index and found in at most :data:`FEW_HITS` rows
    (drive the query from the hits), else "scan" (walk the sort index, LIKE on each row)."""
    usable = [w for w in words(text) if indexed(w)]
    if not usable or (any(indexed(w) == "bigram" for w in usable) and not has_bigrams(conn, register)):
        return "index" if usable else "scan"
    return "index" if min(hits(conn, register, w) for w in usable) <= FEW_HITS else "scan"


def search_clause(register: str, text: str | None, *, alias: str = "", use_index: bool = True) -> tuple[str, list]:
    """``(sql, args)`` for a WHERE part: every word appears in one of the register's text columns.

    ``use_index=False`` gives the plain LIKE form for every word (the reference the index is
    tested against, the "scan" strategy, and a fallback for a database without the index).
    """
    parts, args = [], []
    for word in words(text):
        if use_index and indexed(word):
            sql, a = fts_word_clause(register, word, alias=alias)
        else:
            sql, a = like_word_clause(register, word, alias=alias)
        parts.append(sql)
        args += a
    return (" AND ".join(parts) or "1"), args
