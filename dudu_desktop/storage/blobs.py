"""The content-addressed store of attached files (table ``blobs``, migration 0013): each distinct
file once, keyed by the SHA-256 of its bytes. Callers hold the transaction."""

from __future__ import annotations

import hashlib
import sqlite3


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def has(conn: sqlite3.Connection, sha256: str) -> bool:
    return conn.execute("SELECT 1 FROM blobs WHERE sha256 = ?", (sha256,)).fetchone() is not None


def put(conn: sqlite3.Connection, data: bytes, sha256: str | None = None) -> tuple[str, bool]:
    """Store ``data`` unless the same bytes are already there; returns (sha256, newly stored)."""
    digest = sha256_hex(data)
    if sha256 is not None and sha256 != digest:
        raise ValueError("the bytes do not match their SHA-256")
    cur = conn.execute(
        "INSERT OR IGNORE INTO blobs (sha256, size, data) VALUES (?, ?, ?)", (digest, len(data), sqlite3.Binary(data))
    )
    return digest, cur.rowcount > 0


def get(conn: sqlite3.Connection, sha256: str) -> bytes | None:
    row = conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    return bytes(row[0]) if row else None


def size_of(conn: sqlite3.Connection, sha256: str) -> int | None:
    row = conn.execute("SELECT size FROM blobs WHERE sha256 = ?", (sha256,)).fetchone()
    return row[0] if row else None


def damaged(conn: sqlite3.Connection) -> list[str]:
    """The keys of the stored files whose bytes no longer hash to their key (read one at a time)."""
    bad = []
    keys = [r[0] for r in conn.execute("SELECT sha256 FROM blobs")]
    for key in keys:
        row = conn.execute("SELECT data FROM blobs WHERE sha256 = ?", (key,)).fetchone()
        if row is None or sha256_hex(bytes(row[0])) != key:
            bad.append(key)
    return bad


def missing(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(attachment id, sha256) of attachments whose file is not in the store."""
    return [
        tuple(r)
        for r in conn.execute(
            "SELECT a.id, a.sha256 FROM attachments a LEFT JOIN blobs b ON b.sha256 = a.sha256 "
            "WHERE b.sha256 IS NULL ORDER BY a.id"
        )
    ]
