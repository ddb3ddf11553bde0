"""Migration ``0014_agreement_fields`` (issue 13): what the Ministry of Justice 人民调解协议书 asks for
and the registers lacked — each party's 职业或职务 (``dispute_parties.occupation``) and the agreement's
履行地点 (``disputes.place_of_performance``). Both optional short texts, ``''`` when not given.

The row digests of the audit trail (storage/chain.py) cover the columns as first created, and these
columns only when they are not empty (:data:`DIGESTED_WHEN_SET`): every digest recorded before this
migration still matches its row (the new columns are ``''`` there), no digest is recomputed (which
would launder a row changed outside the program), and a value typed later — or set outside the
program with sqlite3 — is covered like any other field."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.migrations import run_script

NAME = "0014_agreement_fields"

#: Columns added to register tables after their creation that the row digest covers when not ``''``
#: (in this order, appended to the digest's array).
DIGESTED_WHEN_SET: dict[str, tuple[str, ...]] = {
    "disputes": ("place_of_performance",),
    "dispute_parties": ("occupation",),
}

SQL = """
ALTER TABLE disputes ADD COLUMN place_of_performance TEXT NOT NULL DEFAULT '';
ALTER TABLE dispute_parties ADD COLUMN occupation TEXT NOT NULL DEFAULT ''
"""


def apply(conn: sqlite3.Connection) -> None:
    run_script(conn, SQL)
