"""Attachments in bundles (issue 16): what the village sends, and how the township takes it in.

Village (:func:`export_part`, called by :mod:`dudu_desktop.sync.export`)
    The attachment rows changed since the last bundle go into ``attachments.csv`` (like the
    registers' rows: new, changed and voided ones), and the file of every live row among them as a
    zip member ``blobs/<sha256>``, listed in ``datapackage.json`` with its size and SHA-256.
    Attachments keep their own cursor (setting ``sync.attachments_through``, an audit sequence
    number) because a bundle has a size limit (village setting ``sync.max_bundle_mb``, default
    200 MB): rows whose files do not fit wait, in order, for the next bundle, and the export says
    so. A full export starts the cursor again from 0. One file larger than the limit still goes,
    alone, so that nothing waits for ever.

Township (:func:`apply_part`, called by :mod:`dudu_desktop.sync.merge` after the records)
    Rows are matched by UUID: new ones inserted, a higher ``version`` wins, the same or an older
    one changes nothing. A row is set aside in the rejected-rows report when it is malformed,
    belongs to another village, names a record the township does not have (or of another
    village), or its file is neither in the bundle nor already stored. The files were checked
    against their SHA-256 when the bundle was read (:func:`dudu_desktop.sync.bundle.read_bundle`
    refuses the whole bundle otherwise) and are stored once each. One audit entry per
    :data:`AUDIT_BATCH` rows with the rows' digests, like the records.
"""

from __future__ import annotations

from dudu_desktop.domain import attachments as A
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, site
from dudu_desktop.services.attachments import TABLES
from dudu_desktop.storage import blobs
from dudu_desktop.storage.chain import ATTACHMENTS
from dudu_desktop.storage.ids import is_uuid
from dudu_desktop.sync import bundle as fmt
from dudu_desktop.sync.state import bundle_columns, chunks, write_setting

CURSOR = "sync.attachments_through"
AUDIT_BATCH = 1000
INTEGER_COLUMNS = ("version", "deleted", "change_seq", "size", "width", "height", "pages")


def has_table(conn) -> bool:
    return (
        conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'attachments'").fetchone() is not None
    )


def max_bundle_bytes(conn) -> int:
    return int(float(site.get_setting(conn, "sync.max_bundle_mb", A.DEFAULT_MAX_BUNDLE_MB)) * 1048576)


# --- village ---------------------------------------------------------------------------------------


class ExportPart:
    """What :func:`export_part` chose: the CSV resource, the files, what waits."""

    def __init__(self, fields, data: bytes, count: int, files: dict, waiting: int, waiting_bytes: int, through: int):
        self.fields, self.data, self.count, self.files = fields, data, count, files
        self.waiting, self.waiting_bytes, self.through = waiting, waiting_bytes, through

    @property
    def file_bytes(self) -> int:
        return sum(len(d) for d in self.files.values())


def export_part(conn, *, full: bool, to_seq: int, budget: int) -> ExportPart | None:
    """The attachment rows and files for the next bundle, within ``budget`` bytes of files."""
    if not has_table(conn):
        return None
    cursor = 0 if full else int(site.get_setting(conn, CURSOR, 0) or 0)
    columns = bundle_columns(conn, ATTACHMENTS)
    names = [c["name"] for c in columns]
    fields = [{"name": c["name"], "type": fmt.frictionless_type(c["type"])} for c in columns]
    rows = conn.execute(
        f"SELECT {', '.join(names)} FROM attachments WHERE change_seq > ? AND change_seq <= ? ORDER BY change_seq, id",
        (cursor, to_seq),
    ).fetchall()
    i_seq, i_sha, i_deleted = names.index("change_seq"), names.index("sha256"), names.index("deleted")
    chosen: list = []  # the rows sent
    files: dict[str, bytes | None] = {}  # sha256 → the file
    used = 0
    through = to_seq
    for n, row in enumerate(rows):
        sha = row[i_sha]
        need = 0 if row[i_deleted] or sha in files else (blobs.size_of(conn, sha) or 0)
        if need and used + need > budget and (files or chosen):
            waiting = rows[n:]
            through = row[i_seq] - 1
            waiting_bytes = sum(blobs.size_of(conn, r[i_sha]) or 0 for r in waiting if not r[i_deleted])
            return ExportPart(
                fields, fmt.encode_csv(names, chosen), len(chosen), files, len(waiting), waiting_bytes, through
            )
        if need:
            files[sha] = blobs.get(conn, sha)
            used += need
        chosen.append(row)
    return ExportPart(fields, fmt.encode_csv(names, chosen), len(chosen), files, 0, 0, through)


def record_export(conn, part: ExportPart) -> None:
    """Move the cursor (inside the export's transaction)."""
    write_setting(conn, CURSOR, part.through)


def waiting_note(part: ExportPart, limit_bytes: int) -> str:
    return _(
        "{n} attachments ({size} MB) did not fit into this bundle (limit {limit} MB) and wait for the next one."
    ).format(n=part.waiting, size=f"{part.waiting_bytes / 1048576:.1f}", limit=f"{round(limit_bytes / 1048576, 1):g}")


# --- township --------------------------------------------------------------------------------------


def _convert(headers: list[str], cells: list[str]) -> dict:
    row = {}
    for name, text in zip(headers, cells):
        if name in INTEGER_COLUMNS:
            row[name] = int(text) if text.lstrip("-").isdigit() else (None if text == "" else text)
        else:
            row[name] = text
    return row


def _bundle_records(bundle: fmt.Bundle) -> set[tuple[str, str]]:
    """(table, id) of the records the bundle brings (the preview writes none of them)."""
    out: set[tuple[str, str]] = set()
    for table in TABLES:
        res = bundle.resources.get(table)
        if res is not None and "id" in res.headers:
            i = res.headers.index("id")
            out.update((table, r[i]) for r in res.rows)
    return out


def _problem(row: dict, bundle: fmt.Bundle, conn, have: dict, coming: set) -> tuple[str, str] | None:
    """(column, message) of why the row cannot be taken in, or None."""
    if not is_uuid(row.get("id", "")):
        return "id", _("Not a valid record id.")
    if row.get("village_code") != bundle.village_code:
        return "village_code", _("This row belongs to village {code}, not to the village of the bundle.").format(
            code=row.get("village_code")
        )
    for key in ("version", "deleted", "size"):
        if not isinstance(row.get(key), int):
            return key, _("Not a whole number.")
    if row.get("table_name") not in TABLES:
        return "table_name", _("Unknown register: {name}").format(name=row.get("table_name"))
    if not A.SHA256_RE.match(row.get("sha256", "")):
        return "sha256", _("Not a SHA-256.")
    if A.kind_problem(row.get("kind", "")) or row.get("mime") not in A.EXTENSIONS.values():
        return "kind", _("Unknown kind of attachment: {kind} (one of {kinds}).").format(
            kind=row.get("kind"), kinds="、".join(A.ATTACHMENT_KINDS)
        )
    if len(row.get("caption", "")) > A.MAX_CAPTION or len(row.get("file_name", "")) > A.MAX_FILE_NAME:
        return "caption", _("The caption is too long (at most {n} characters).").format(n=A.MAX_CAPTION)
    parent = conn.execute(
        f"SELECT village_code FROM {row['table_name']} WHERE id = ?", (row.get("record_id", ""),)
    ).fetchone()
    if parent is None and (row["table_name"], row.get("record_id")) in coming:
        parent = (bundle.village_code,)
    if parent is None:
        return "record_id", _("The record this file belongs to is not at the township.")
    if parent[0] != bundle.village_code:
        return "record_id", _("The record this file belongs to is of another village ({code}).").format(code=parent[0])
    old = have.get(row["id"])
    if old is not None and old["village_code"] != bundle.village_code:
        return "id", _("This attachment belongs to village {code}.").format(code=old["village_code"])
    if not row["deleted"] and row["sha256"] not in bundle.blobs and not blobs.has(conn, row["sha256"]):
        return "sha256", _("The file of this attachment is neither in the bundle nor at the township.")
    return None


def apply_part(ctx, bundle: fmt.Bundle, result, now: str, problem_type, *, dry_run: bool = False) -> None:
    """Take in the bundle's attachments (inside the import's transaction); counts and rejected rows go into
    ``result`` (``problem_type`` is merge's RowProblem). ``dry_run``: count only (the preview)."""
    res = bundle.resources.get(fmt.ATTACHMENTS_TABLE)
    conn = ctx.conn
    if res is None or not has_table(conn):
        return
    counts = result.counts.setdefault(
        ATTACHMENTS, {"new": 0, "updated": 0, "unchanged": 0, "conflicting": 0, "invalid": 0}
    )
    known = [c["name"] for c in bundle_columns(conn, ATTACHMENTS) if c["name"] != "change_seq"]
    if set(res.headers) - {*known, "change_seq"} or set(known) - set(res.headers):
        for n in range(len(res.rows)):
            result.problems.append(
                problem_type(
                    ATTACHMENTS,
                    n + 2,
                    "",
                    _("The columns of {member} do not match the bundle's description.").format(
                        member="attachments.csv"
                    ),
                )
            )
        counts["invalid"] += len(res.rows)
        return
    incoming = [_convert(res.headers, cells) for cells in res.rows]
    ids = [r.get("id", "") for r in incoming]
    have: dict[str, dict] = {}
    for part in chunks(ids):
        have.update(
            (r["id"], dict(r))
            for r in conn.execute(
                f"SELECT id, village_code, version FROM attachments WHERE id IN ({', '.join('?' * len(part))})", part
            )
        )
    write, new_ids = [], set()
    coming = _bundle_records(bundle) if dry_run else set()
    for n, row in enumerate(incoming):
        problem = _problem(row, bundle, conn, have, coming)
        if problem:
            counts["invalid"] += 1
            result.problems.append(problem_type(ATTACHMENTS, n + 2, problem[0], problem[1], row.get("id", "")))
            continue
        old = have.get(row["id"])
        if old is not None and old["version"] >= row["version"]:
            counts["unchanged"] += 1
            continue
        counts["updated" if old else "new"] += 1
        if old is None:
            new_ids.add(row["id"])
        have[row["id"]] = {"id": row["id"], "village_code": row["village_code"], "version": row["version"]}
        write.append(row)
    if dry_run or not write:
        return
    for sha in {r["sha256"] for r in write if not r["deleted"]}:
        if sha in bundle.blobs:
            blobs.put(conn, bundle.blobs[sha], sha)
    names = known
    sql = (
        f"INSERT INTO attachments ({', '.join(names)}, change_seq) VALUES ({', '.join('?' * (len(names) + 1))}) "
        f"ON CONFLICT (id) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in [*names, "change_seq"] if c != "id")
    )
    for part in chunks(write, AUDIT_BATCH):
        seq = audit.append(
            conn,
            at=now,
            user=ctx.user,
            action="import_bundle",
            table_name=ATTACHMENTS,
            village_code=bundle.village_code,
            origin=bundle.village_code,
            changes={
                "bundle": bundle.file_name,
                "seq": bundle.seq,
                "inserted": [r["id"] for r in part if r["id"] in new_ids],
                "updated": [r["id"] for r in part if r["id"] not in new_ids],
            },
        )
        conn.executemany(sql, [tuple(r.get(c) for c in names) + (seq,) for r in part])
        audit.seal_rows(conn, seq, ATTACHMENTS)
