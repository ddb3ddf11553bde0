"""Migration ``0001_initial``: settings, villages, the register tables and the audit log."""

from __future__ import annotations

import sqlite3

from dudu_desktop.storage.migrations import run_script

NAME = "0001_initial"

# Columns every register row carries (see domain/fields.py for the business fields).
COMMON = """
    id TEXT PRIMARY KEY,
    village_code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    updated_by TEXT NOT NULL DEFAULT '',
    version INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    change_seq INTEGER NOT NULL DEFAULT 0"""

PERSON_COLUMNS = """
    name TEXT NOT NULL,
    gender TEXT NOT NULL DEFAULT '',
    ethnicity TEXT NOT NULL DEFAULT '',
    age INTEGER,
    phone TEXT NOT NULL DEFAULT '',
    id_number TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT ''"""

INITIAL = f"""
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE villages (
    code TEXT PRIMARY KEY CHECK (length(code) = 12),
    name TEXT NOT NULL,
    township_code TEXT NOT NULL DEFAULT '',
    township_name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE people ({COMMON},{PERSON_COLUMNS},
    kind TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX people_village_name ON people (village_code, name);

CREATE TABLE disputes ({COMMON},
    serial_no TEXT NOT NULL DEFAULT '',
    registered_on TEXT NOT NULL,
    dispute_type TEXT NOT NULL,
    summary TEXT NOT NULL,
    party_names TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    mediator TEXT NOT NULL DEFAULT '',
    level TEXT NOT NULL DEFAULT '蓝',
    level_reason TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT '待调处',
    result TEXT NOT NULL DEFAULT '',
    agreement INTEGER NOT NULL DEFAULT 0,
    agreement_terms TEXT NOT NULL DEFAULT '',
    amount_cents INTEGER,
    performance_terms TEXT NOT NULL DEFAULT '',
    concluded_on TEXT,
    closed_out_on TEXT,
    prevented_criminal INTEGER,
    prevented_criminal_people INTEGER,
    prevented_petition INTEGER,
    prevented_petition_people INTEGER,
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX disputes_registered ON disputes (registered_on, id);
CREATE INDEX disputes_village_registered ON disputes (village_code, registered_on);
CREATE INDEX disputes_concluded ON disputes (concluded_on);
CREATE INDEX disputes_type ON disputes (dispute_type, registered_on);
CREATE INDEX disputes_status ON disputes (status, registered_on);
CREATE INDEX disputes_level ON disputes (level, registered_on);
CREATE INDEX disputes_change ON disputes (change_seq);

CREATE TABLE dispute_parties ({COMMON},
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    person_id TEXT REFERENCES people (id),
    role TEXT NOT NULL DEFAULT '申请人',
    position INTEGER NOT NULL DEFAULT 0,{PERSON_COLUMNS}
);
CREATE INDEX dispute_parties_dispute ON dispute_parties (dispute_id, position);
CREATE INDEX dispute_parties_change ON dispute_parties (change_seq);

CREATE TABLE dispute_followups ({COMMON},
    dispute_id TEXT NOT NULL REFERENCES disputes (id),
    visited_on TEXT NOT NULL,
    performance TEXT NOT NULL DEFAULT '',
    satisfaction TEXT NOT NULL DEFAULT '',
    visitor TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX dispute_followups_dispute ON dispute_followups (dispute_id, visited_on);
CREATE INDEX dispute_followups_change ON dispute_followups (change_seq);

CREATE TABLE trainings ({COMMON},
    held_on TEXT NOT NULL,
    topic TEXT NOT NULL,
    training_type TEXT NOT NULL,
    speaker TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    duration_hours REAL,
    exam_held INTEGER NOT NULL DEFAULT 0,
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX trainings_held ON trainings (held_on, id);
CREATE INDEX trainings_village_held ON trainings (village_code, held_on);
CREATE INDEX trainings_type ON trainings (training_type, held_on);
CREATE INDEX trainings_change ON trainings (change_seq);

CREATE TABLE training_attendance ({COMMON},
    training_id TEXT NOT NULL REFERENCES trainings (id),
    person_id TEXT REFERENCES people (id),
    name TEXT NOT NULL,
    position TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    signed_in INTEGER NOT NULL DEFAULT 0,
    signed_at TEXT,
    exam_score REAL,
    exam_passed INTEGER
);
CREATE INDEX training_attendance_training ON training_attendance (training_id, name);
CREATE INDEX training_attendance_change ON training_attendance (change_seq);

CREATE TABLE hotline_calls ({COMMON},
    called_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    anonymous INTEGER NOT NULL DEFAULT 0,
    caller_name TEXT NOT NULL DEFAULT '',
    caller_phone TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    referral TEXT NOT NULL DEFAULT '',
    legal_aid INTEGER NOT NULL DEFAULT 0,
    followup_on TEXT,
    satisfaction TEXT NOT NULL DEFAULT '',
    handler TEXT NOT NULL DEFAULT ''
);
CREATE INDEX hotline_called ON hotline_calls (called_at, id);
CREATE INDEX hotline_village_called ON hotline_calls (village_code, called_at);
CREATE INDEX hotline_category ON hotline_calls (category, called_at);
CREATE INDEX hotline_change ON hotline_calls (change_seq);

CREATE TABLE publicity_events ({COMMON},
    held_on TEXT NOT NULL,
    theme TEXT NOT NULL,
    form TEXT NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    audience INTEGER,
    organizer TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT ''
);
CREATE INDEX publicity_held ON publicity_events (held_on, id);
CREATE INDEX publicity_village_held ON publicity_events (village_code, held_on);
CREATE INDEX publicity_form ON publicity_events (form, held_on);
CREATE INDEX publicity_change ON publicity_events (change_seq);

CREATE TABLE publicity_materials ({COMMON},
    event_id TEXT NOT NULL REFERENCES publicity_events (id),
    kind TEXT NOT NULL,
    unit TEXT NOT NULL DEFAULT '',
    quantity INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX publicity_materials_event ON publicity_materials (event_id);
CREATE INDEX publicity_materials_change ON publicity_materials (change_seq);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    uid TEXT NOT NULL UNIQUE,
    at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL,
    table_name TEXT NOT NULL DEFAULT '',
    record_id TEXT NOT NULL DEFAULT '',
    village_code TEXT NOT NULL DEFAULT '',
    changes TEXT NOT NULL DEFAULT '{{}}',
    reason TEXT NOT NULL DEFAULT '',
    origin TEXT NOT NULL DEFAULT '',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_record ON audit_log (record_id, seq);
CREATE INDEX audit_user_at ON audit_log (user, at);
CREATE INDEX audit_at ON audit_log (at);
"""

#: The register tables this migration creates (UUID id, village_code, version, tombstone, change_seq);
#: ``storage.schema.RECORD_TABLES`` is this tuple.
RECORD_TABLES = (
    "people",
    "disputes",
    "dispute_parties",
    "dispute_followups",
    "trainings",
    "training_attendance",
    "hotline_calls",
    "publicity_events",
    "publicity_materials",
)


def apply(conn: sqlite3.Connection) -> None:
    run_script(conn, INITIAL)
