"""Export at the village: every change since the last bundle (or everything) into one zip.

Incremental export reads ``WHERE change_seq > last to_seq AND change_seq <= to_seq`` on the
``<table>_change`` indexes and the audit entries by their primary key, so its cost follows the
number of changes, not the size of the database. Tombstones (``deleted = 1``) are rows like any
other. An export with no changes still writes a bundle: the month's "zero report" (零上报).

**Epochs** (:mod:`dudu_desktop.services.epoch`): every bundle carries the village's epoch
(``epoch`` in the description). The first bundle after a restore also carries a ``restore``
block (``epoch``, ``restored_at``, ``backup``, ``previous``) and is always a **full** export, so
the township receives everything the restored village holds, ranked above what it sent before.

**Audit witness**: every bundle carries ``audit_head`` (``seq`` and ``hash`` of the newest audit
entry it covers) and ``audit_checkpoints`` (the heads of the last :data:`CHECKPOINTS` bundles as
the chain reads now), so the township can check that the history it saw was not rewritten.

The reported month (``period``) is chosen at export: by default the current month, except in the
first :data:`REPORT_GRACE_DAYS` days of a month, when it is the previous month (the monthly report
is carried to the township in the first days of the next month). The township's overview counts a
village as having reported a month when it has applied a bundle whose ``period`` is that month.

Once the village has imported its registration file (:mod:`dudu_desktop.sync.keys`) the bundle is
**sealed** (:mod:`dudu_desktop.sync.seal`): signed with the village's key and encrypted for the
township, written as ``<name>.dudu``. Before that, export is refused with a message pointing to
the registration file; ``unsealed=True`` writes the plain ``.zip`` (administrators only).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from dudu_desktop.domain.problems import Refused
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.failures import sqlite_reason
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, epoch, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import schema_version
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync import attachments as attached
from dudu_desktop.sync import bundle as fmt
from dudu_desktop.sync import keys, seal
from dudu_desktop.sync.container import ContainerError, sha256_hex, write_zip_atomic
from dudu_desktop.sync.state import bundle_columns, write_setting

REPORT_GRACE_DAYS = 10
CHECKPOINTS = 64


@dataclass
class ExportResult:
    path: Path
    seq: int
    from_seq: int
    to_seq: int
    full: bool
    period: str
    rows: int
    counts: dict
    files: int = 0  # attachments' files carried (issue 16)
    file_bytes: int = 0
    waiting: int = 0  # attachments left for the next bundle (over the size limit)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["path"] = str(self.path)
        return d


def default_period(today: dt.date) -> str:
    if today.day <= REPORT_GRACE_DAYS:
        first = today.replace(day=1) - dt.timedelta(days=1)
        return first.strftime("%Y-%m")
    return today.strftime("%Y-%m")


def last_export(conn) -> dict | None:
    row = conn.execute("SELECT * FROM sync_exports ORDER BY seq DESC LIMIT 1").fetchone()
    return dict(row) if row else None


def exports(conn) -> list[dict]:
    return [dict(r) for r in conn.execute("SELECT * FROM sync_exports ORDER BY seq DESC")]


#: a temporary bundle file this old is a leftover of a killed export, not one being written
PARTIAL_MAX_AGE_S = 3600


def _clean_partials(folder: Path) -> None:
    """A stick pulled out mid-copy may leave ``.<name>.zip|dudu.<random>.partial`` behind. Only
    leftovers older than an hour go: a younger one may be another program's bundle being written."""
    try:
        for p in folder.iterdir():
            if (
                p.name.startswith(".")
                and p.name.endswith(".partial")
                and fmt.NAME_RE.match(re.sub(r"^\.(.*)\.(zip|dudu)\..*\.partial$", r"\1.zip", p.name))
            ):
                try:
                    if time.time() - p.stat().st_mtime > PARTIAL_MAX_AGE_S:
                        p.unlink(missing_ok=True)
                except OSError:
                    pass
    except OSError:
        pass


def export_bundle(
    ctx: Context, out_dir, *, full: bool = False, period: str | None = None, unsealed: bool = False
) -> ExportResult:
    """Write the next bundle into ``out_dir``; returns what was written. Refused at the township.
    Sealed unless ``unsealed`` (administrators only: a plain bundle for inspection)."""
    ctx.require(Permission.SYNC)
    info = site.require_site(ctx.conn)
    if info["role"] != site.VILLAGE:
        raise Refused(_("Only a village PC exports bundles; the township imports them."))
    identity = None
    if unsealed:
        ctx.require(Permission.ADMINISTER)
    else:
        identity = keys.sealing_identity(ctx.conn, info["code"])
        if identity is None:
            raise Refused(
                _(
                    "This village has no keys yet, so its bundle cannot be sealed. An administrator "
                    "imports the registration file the township issued (button “Import registration "
                    "file…” on this page, or the command import-registration FILE); nothing was written."
                )
            )
    if period is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
        raise Refused(_("The month must be written like 2024-05."))
    folder = Path(out_dir)
    if not folder.is_dir():
        raise Refused(_("The folder {path} does not exist.").format(path=folder))
    conn = ctx.conn
    now = ctx.now()
    # The write lock is taken first and held until the bundle is recorded: one snapshot of every table,
    # and never a bundle on the stick that the database did not record (a busy database refuses before
    # anything is written; a failed record removes the file again).
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        raise Refused(
            _(
                "The database is busy (another window or program is writing to it), so the bundle "
                "was not written. Try again in a moment. ({reason})"
            ).format(reason=sqlite_reason(exc))
        ) from exc
    written: list[Path] = []
    try:
        result = _write(ctx, info, identity, folder, now, full=full, period=period, written=written)
        conn.execute("COMMIT")
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        for path in written:
            _remove(path)
        if isinstance(exc, sqlite3.Error):
            raise Refused(
                _(
                    "The export could not be recorded in the database ({reason}); the bundle was "
                    "removed from the stick again, nothing was changed. Try again."
                ).format(reason=sqlite_reason(exc))
            ) from exc
        raise
    return result


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass


def _write(
    ctx: Context, info: dict, identity, folder: Path, now: dt.datetime, *, full: bool, period: str | None, written: list
) -> ExportResult:
    """Inside the export's transaction: read the changes, write the bundle (its path appended to
    ``written`` as soon as it exists), record it."""
    conn = ctx.conn
    state = epoch.epoch_state(conn)
    restore = _restore_announcement(state)
    if restore is not None:  # the first bundle after a restore: say so, and send everything
        full = True
    previous = last_export(conn)
    seq = (previous["seq"] if previous else 0) + 1
    from_seq = 0 if full or not previous else previous["to_seq"]
    to_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0]
    tables, counts = _register_tables(conn, full=full, from_seq=from_seq, to_seq=to_seq)
    limit = attached.max_bundle_bytes(conn)
    part = attached.export_part(
        conn, full=full, to_seq=to_seq, budget=limit - sum(len(d) for _f, d, _n in tables.values())
    )
    if part is not None:
        tables[fmt.ATTACHMENTS_TABLE] = (part.fields, part.data, part.count)
        counts[fmt.ATTACHMENTS_TABLE] = part.count
    tables[fmt.AUDIT_TABLE] = _audit_table(conn, from_seq, to_seq)
    tables[fmt.VILLAGES_TABLE] = _village_table(conn, info["code"])
    version = schema_version(conn)
    period = period or default_period(now.date())
    meta = {
        "schema_version": version,
        "village_code": info["code"],
        "village_name": info["name"],
        "township_code": info.get("township_code", ""),
        "sequence": seq,
        "from_seq": from_seq,
        "to_seq": to_seq,
        "full": bool(full),
        "period": period,
        "created_at": now.isoformat(timespec="seconds"),
        "epoch": int(state["epoch"]),
        "audit_head": _audit_point(conn, to_seq),
        "audit_checkpoints": _checkpoints(conn),
    }
    if restore is not None:
        meta["restore"] = restore
    files = part.files if part is not None else {}
    descriptor = fmt.build_descriptor(meta, tables, files)
    descriptor_bytes = json.dumps(descriptor, ensure_ascii=False, indent=1).encode("utf-8")
    members = [(fmt.DESCRIPTOR, descriptor_bytes)] + [(f"{t}.csv", data) for t, (_f, data, _n) in tables.items()]
    members += [(fmt.BLOB_DIR + sha, data) for sha, data in files.items()]
    path = _write_file(
        folder / fmt.bundle_name(info["code"], seq, now.date()), members, identity, seq=seq, created=meta["created_at"]
    )
    written.append(path)
    rows = sum(counts.values())
    result = ExportResult(
        path=path, seq=seq, from_seq=from_seq, to_seq=to_seq, full=bool(full), period=period, rows=rows, counts=counts
    )
    if part is not None:
        result.files, result.file_bytes, result.waiting = len(files), part.file_bytes, part.waiting
        if part.waiting:
            result.notes.append(attached.waiting_note(part, limit))
        attached.record_export(conn, part)
    _record(ctx, info, identity, result, descriptor_bytes)
    if restore is not None:
        epoch.mark_announced(conn)
    return result


def _restore_announcement(state: dict) -> dict | None:
    """What the first bundle after a restore says about it (None when the restore was announced)."""
    if state.get("announced", True):
        return None
    return {
        "epoch": int(state["epoch"]),
        "restored_at": str(state.get("restored_at", "")),
        "backup": str(state.get("backup", "")),
        "previous": int(state.get("previous") or 0),
    }


def _register_tables(conn, *, full: bool, from_seq: int, to_seq: int) -> tuple[dict, dict[str, int]]:
    """``{table: (fields, CSV, rows)}`` and ``{table: rows}`` of the registers: every row (``full``) or
    those changed after ``from_seq``, up to ``to_seq``."""
    tables: dict[str, tuple[list[dict], bytes, int]] = {}
    counts: dict[str, int] = {}
    for table in RECORD_TABLES:
        cols = [c["name"] for c in bundle_columns(conn, table)]
        fields = [{"name": c["name"], "type": fmt.frictionless_type(c["type"])} for c in bundle_columns(conn, table)]
        where = "change_seq <= ?" if full else "change_seq > ? AND change_seq <= ?"
        args = (to_seq,) if full else (from_seq, to_seq)
        rows = conn.execute(
            f"SELECT {', '.join(cols)} FROM {table} WHERE {where} ORDER BY change_seq, id", args
        ).fetchall()
        tables[table] = (fields, fmt.encode_csv(cols, rows), len(rows))
        counts[table] = len(rows)
    return tables, counts


def _audit_table(conn, from_seq: int, to_seq: int) -> tuple[list[dict], bytes, int]:
    """The audit entries of the registers and attachments between the two sequence numbers."""
    audited = (*RECORD_TABLES, fmt.ATTACHMENTS_TABLE)
    placeholders = ", ".join("?" * len(audited))
    audit_rows = conn.execute(
        f"SELECT {', '.join(fmt.AUDIT_COLUMNS)} FROM audit_log WHERE seq > ? AND seq <= ? "
        f"AND table_name IN ({placeholders}) ORDER BY seq",
        (from_seq, to_seq, *audited),
    ).fetchall()
    return (
        _fields(conn, "audit_log", fmt.AUDIT_COLUMNS),
        fmt.encode_csv(list(fmt.AUDIT_COLUMNS), audit_rows),
        len(audit_rows),
    )


def _village_table(conn, code: str) -> tuple[list[dict], bytes, int]:
    """The village's own row (its name as this PC knows it)."""
    village_rows = conn.execute(
        f"SELECT {', '.join(fmt.VILLAGE_COLUMNS)} FROM villages WHERE code = ?", (code,)
    ).fetchall()
    return (
        _fields(conn, "villages", fmt.VILLAGE_COLUMNS),
        fmt.encode_csv(list(fmt.VILLAGE_COLUMNS), village_rows),
        len(village_rows),
    )


def _write_file(path: Path, members: list, identity, *, seq: int, created: str) -> Path:
    """Write the bundle's members at ``path``: sealed for ``identity``, or a plain zip (without one);
    the path written (a sealed bundle has its own name)."""
    _clean_partials(path.parent)
    if identity is None:
        try:
            write_zip_atomic(path, members)
        except ContainerError as exc:
            raise Refused(_("The bundle could not be written: {reason}").format(reason=exc.message)) from exc
        return path
    plain = seal.zip_bytes(members, fmt.member_allowed)
    sealed = seal.seal(plain, identity, seq=seq, name=path.name, created=created)
    path = path.parent / seal.sealed_name(path.name)
    seal.write_sealed(path, sealed)
    return path


def _audit_point(conn, seq: int) -> dict:
    """``{"seq", "hash"}`` of the audit entry ``seq`` (the chain's head when the bundle was written)."""
    row = conn.execute("SELECT seq, hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()
    return {"seq": row[0], "hash": row[1]} if row else {"seq": 0, "hash": audit.GENESIS}


def _checkpoints(conn) -> list[dict]:
    """The chain heads of the last :data:`CHECKPOINTS` bundles (what the township may have witnessed),
    as they read now: the township compares them with what it saw."""
    return [
        {"seq": r[0], "hash": r[1]}
        for r in conn.execute(
            "SELECT seq, hash FROM audit_log WHERE seq IN (SELECT to_seq FROM sync_exports ORDER BY seq DESC LIMIT ?) "
            "ORDER BY seq",
            (CHECKPOINTS,),
        )
    ]


def _record(ctx: Context, info: dict, identity, result: ExportResult, descriptor_bytes: bytes) -> None:
    conn = ctx.conn
    path, seq, from_seq, to_seq = result.path, result.seq, result.from_seq, result.to_seq
    full, period, rows, counts = result.full, result.period, result.rows, result.counts
    conn.execute(
        "INSERT INTO sync_exports (seq, file_name, path, at, user, period, full, from_seq, to_seq, rows,"
        " counts, sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            seq,
            path.name,
            str(path),
            ctx.now_text(),
            ctx.user,
            period,
            int(full),
            from_seq,
            to_seq,
            rows,
            json.dumps(counts),
            sha256_hex(descriptor_bytes),
        ),
    )
    write_setting(
        conn,
        "sync.last_export",
        {"at": ctx.now_text(), "path": str(path), "seq": seq, "from_seq": from_seq, "to_seq": to_seq, "rows": rows},
    )
    audit.append(
        conn,
        at=ctx.now_text(),
        user=ctx.user,
        action="export_bundle",
        table_name="sync_exports",
        record_id=path.name,
        village_code=info["code"],
        changes={
            "seq": seq,
            "from_seq": from_seq,
            "to_seq": to_seq,
            "full": bool(full),
            "period": period,
            "rows": rows,
            "path": os.fspath(path),
            "sealed": identity is not None,
            "signed_by": identity.sign_key_id if identity else "",
            "sealed_for": identity.township_key_id if identity else "",
        },
    )


def _fields(conn, table: str, names) -> list[dict]:
    types = {r[1]: r[2] for r in conn.execute(f"PRAGMA table_info({table})")}
    return [{"name": n, "type": fmt.frictionless_type(types.get(n, "TEXT"))} for n in names]
