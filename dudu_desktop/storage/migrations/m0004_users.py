"""Migration ``0004_users``: accounts on this PC (services/users.py)."""

from __future__ import annotations

import sqlite3

NAME = "0004_users"

#: Accounts on this PC (services/users.py): the password as an scrypt hash with its salt and parameters.
USERS = """
CREATE TABLE users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
)"""


def apply(conn: sqlite3.Connection) -> None:
    conn.execute(USERS)
