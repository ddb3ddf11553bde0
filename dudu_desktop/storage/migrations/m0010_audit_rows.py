"""Migration ``0010_audit_rows``: row digests in the audit trail (side table, head) and a baseline
entry for existing files. The statements live with the code that also uses them at run time
(:mod:`dudu_desktop.storage.chain`)."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage import chain

NAME = "0010_audit_rows"


def apply(conn: sqlite3.Connection) -> None:
    chain.migrate_0010_audit_rows(conn)
