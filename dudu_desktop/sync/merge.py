"""Import at the township: check and preview a bundle (writes nothing), then apply it in one
transaction after an automatic backup.

Rules
-----
* Records are matched by UUID. A new one is inserted; for a known one the higher ``version``
  wins; same content = unchanged; an older version than the one already received is ignored.
* **Conflict**: the township changed its copy (``version`` differs from ``sync_base_version``,
  the village version it last accepted) *and* the village's version has moved past that base.
  Both full rows go to ``sync_conflicts`` and nothing is overwritten until a person chooses
  (:func:`resolve_conflict`, audited). Copies whose business fields are identical are not a conflict.
* **Invalid rows** (bad UUID, another village's code, a field that fails its domain rules, a
  record that fails the rules between its fields — :func:`~dudu_desktop.domain.validate.record_problems`,
  the very rules of keyboard entry and spreadsheets: a concluded dispute without its result… —, a
  parent record missing, an oversized cell) are set aside in the rejected-rows report (table, row
  number in the CSV, column, message) and the rest still go in. A child of a rejected row is
  rejected too.
* **A bundle touches only the records of the village that signed it.** Rows are matched by UUID,
  so a row whose UUID is that of a record (or of a row waiting for its parent in ``sync_pending``)
  of *another* village is refused with the reason ("belongs to village …") in the rejected-rows
  report, whatever its ``village_code`` and version say; so is a child row (a party, a follow-up,
  an attendance, a material) whose parent record belongs to another village. The rest of the
  bundle stands: the refused rows change nothing.
* Imported rows keep the village's id, version, created/updated stamps, but get a local
  ``change_seq``: one audit entry (``action='import_bundle'``, ``origin`` = village code) per
  :data:`AUDIT_BATCH` rows of a table, listing the ids inserted and updated. One entry per batch
  instead of per row keeps the import fast (the audit table carries four indexes and a hash
  chain); the village's own per-row audit entries come along in ``sync_remote_audit``.
* The same bundle twice (same ``datapackage.json`` hash) changes nothing. Bundles applied out of
  order reach the same state (versions decide; tombstones are versions too). A gap in a
  village's sequence numbers is reported.
* Refusals (:class:`Refused`, Chinese message) happen before anything is written: a damaged,
  truncated, tampered or hostile zip, a checksum that does not match, a description that lies
  about its files, rows or columns, an unknown village, another township, a newer schema.
* **Sealed bundles** (:mod:`dudu_desktop.sync.seal`): a ``.dudu`` file is decrypted with the
  township's key and its signature checked against the key registered for the village before
  anything else; a plain ``.zip`` is refused unless an administrator passes ``allow_unsealed``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from dudu_desktop.domain import fields as F
from dudu_desktop.domain.problems import NotFound, Refused
from dudu_desktop.domain.validate import clean_record, record_problems
from dudu_desktop.domain.vocab import Permission
from dudu_desktop.i18n import _
from dudu_desktop.services import audit, backup, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage.bulk import BulkLoad
from dudu_desktop.storage.db import schema_version, transaction
from dudu_desktop.storage.ids import is_uuid
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync import attachments as attached  # issue 16
from dudu_desktop.sync import bundle as fmt
from dudu_desktop.sync import seal
from dudu_desktop.sync.state import LOCAL_COLUMNS, chunks, table_columns, write_setting

AUDIT_BATCH = 1000
SPECS = {
    "people": F.PERSON,
    "disputes": F.DISPUTE,
    "dispute_parties": F.PARTY,
    "dispute_followups": F.FOLLOWUP,
    "trainings": F.TRAINING,
    "training_attendance": F.ATTENDANCE,
    "hotline_calls": F.HOTLINE,
    "publicity_events": F.PUBLICITY,
    "publicity_materials": F.MATERIAL,
}
#: child table → [(column, parent table, required)]
PARENTS = {
    "dispute_parties": [("dispute_id", "disputes", True), ("person_id", "people", False)],
    "dispute_followups": [("dispute_id", "disputes", True)],
    "training_attendance": [("training_id", "trainings", True), ("person_id", "people", False)],
    "publicity_materials": [("event_id", "publicity_events", True)],
}
REQUIRED_COLUMNS = ("id", "village_code", "created_at", "updated_at", "version", "deleted")
META_COLUMNS = ("created_at", "updated_at", "created_by", "updated_by", "version", "change_seq")
MAX_TEXT_CELL = F.MAX_LONGTEXT
COUNT_KEYS = ("new", "updated", "unchanged", "conflicting", "invalid")


@dataclass
class RowProblem:
    table: str
    row: int  # line in the CSV (the header is line 1)
    column: str
    message: str
    record_id: str = ""


@dataclass
class ImportResult:
    path: str
    file_name: str
    village_code: str
    village_name: str
    seq: int
    period: str
    full: bool
    from_seq: int
    to_seq: int
    exported_at: str
    counts: dict = field(default_factory=dict)  # table → {new, updated, unchanged, conflicting, invalid}
    problems: list = field(default_factory=list)  # [RowProblem]
    gaps: list = field(default_factory=list)  # missing sequence numbers of this village
    notes: list = field(default_factory=list)  # messages for the user
    already_imported: bool = False
    applied: bool = False
    backup: str | None = None
    sealed: bool = False
    signed_by: str = ""  # id of the village key that signed it
    epoch: int = 0  # the village's epoch (services/epoch.py); 0: never restored
    restore: dict | None = None  # the restore this bundle announces, if any
    rolled_back: list = field(default_factory=list)  # [{table, id, number, before, after}] (see module doc)
    stale: bool = False  # written before a restore the township already knows
    witness: dict = field(default_factory=dict)  # {"checked": n, "rewritten": [{seq, seen, now}], ...}

    @property
    def totals(self) -> dict:
        return {k: sum(c[k] for c in self.counts.values()) for k in COUNT_KEYS}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["totals"] = self.totals
        return d


@dataclass
class _TablePlan:
    columns: list[str]  # incoming columns, in CSV order
    write: list[tuple] = field(default_factory=list)  # rows to upsert (values in ``columns`` order)
    new_ids: list[str] = field(default_factory=list)
    updated_ids: list[str] = field(default_factory=list)
    # (local, incoming, open conflict's id, epoch)
    conflicts: list[tuple[dict, dict, int | None, int]] = field(default_factory=list)
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNT_KEYS, 0))
    settled: list[str] = field(default_factory=list)  # ids no longer waiting for a parent
    waiting: list[tuple[dict, int]] = field(default_factory=list)  # (row, epoch) whose parent has not arrived
    pending_ids: set = field(default_factory=set)  # ids that were waiting before this bundle
    epochs: dict = field(default_factory=dict)  # id → epoch of the rows that came from sync_pending


# --- reading and checking -------------------------------------------------------------------------


def _load(ctx: Context, path, allow_unsealed: bool = False) -> tuple[fmt.Bundle, seal.Opened]:
    info = site.require_site(ctx.conn)
    if info["role"] != site.TOWNSHIP:
        raise Refused(_("Only the township PC imports bundles."))
    opened = seal.open_bundle(ctx, path, allow_unsealed=allow_unsealed)
    bundle = fmt.read_bundle(path, our_schema_version=schema_version(ctx.conn), data=opened.plain)
    seal.matches(opened, bundle.village_code, bundle.seq, bundle.file_name)
    meta = bundle.meta
    if meta["township_code"] and meta["township_code"] != info["code"]:
        raise Refused(
            _("{name} belongs to another township ({code}); nothing was changed.").format(
                name=bundle.file_name, code=meta["township_code"]
            )
        )
    if not ctx.conn.execute("SELECT 1 FROM villages WHERE code = ?", (bundle.village_code,)).fetchone():
        raise Refused(
            _(
                "{name} comes from a village this township does not know ({village}, {code}). "
                "Register the village in the settings first; nothing was changed."
            ).format(name=bundle.file_name, village=meta["village_name"], code=bundle.village_code)
        )
    villages = bundle.resources[fmt.VILLAGES_TABLE]
    code_col = villages.headers.index("code") if "code" in villages.headers else None
    if code_col is None or any(r[code_col] != bundle.village_code for r in villages.rows):
        raise Refused(
            _(
                "The bundle {name} does not match its description: {member} has {found} rows, {declared} declared."
            ).format(name=bundle.file_name, member="villages.csv", found=len(villages.rows), declared=1)
        )
    return bundle, opened


def _converter(columns: list[dict], headers: list[str], table: str) -> Callable[[list[str]], tuple[tuple, list]]:
    """CSV text cells → typed values, with the columns whose text did not fit their type."""
    by_name = {c["name"]: c for c in columns}
    plan = []
    for i, h in enumerate(headers):
        c = by_name[h]
        kind = (
            "int" if "INT" in c["type"] else "real" if any(k in c["type"] for k in ("REAL", "FLOA", "DOUB")) else "text"
        )
        plan.append((i, h, kind, not c["notnull"] and h != "id"))
    int_re = re.compile(r"-?\d{1,18}")

    def convert(cells: list[str]) -> tuple[tuple, list]:
        out: list[str | int | float | None] = []
        bad: list[str] = []
        for i, name, kind, nullable in plan:
            text = cells[i]
            if text == "":
                out.append(None if nullable or kind != "text" else "")
                if kind != "text" and not nullable:
                    bad.append(name)
            elif kind == "int":
                if int_re.fullmatch(text):
                    out.append(int(text))
                else:
                    out.append(None)
                    bad.append(name)
            elif kind == "real":
                try:
                    out.append(float(text))
                except ValueError:
                    out.append(None)
                    bad.append(name)
            else:
                out.append(text)
        return tuple(out), bad

    return convert


def _existing(conn, table: str, ids: list[str]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for part in chunks(ids):
        for r in conn.execute(f"SELECT * FROM {table} WHERE id IN ({', '.join('?' * len(part))})", part):
            found[r["id"]] = dict(r)
    return found


def _owners(conn, table: str, ids) -> dict[str, str]:
    """id → village_code of the records of ``table`` that exist here."""
    ids = list(ids)
    found: dict[str, str] = {}
    for part in chunks(ids):
        found.update(
            (r[0], r[1])
            for r in conn.execute(
                f"SELECT id, village_code FROM {table} WHERE id IN ({', '.join('?' * len(part))})", part
            )
        )
    return found


def _foreign_pending(conn, table: str, village: str, ids: list[str]) -> dict[str, str]:
    """id → village of the rows waiting for their parent (``sync_pending``) that another village sent."""
    found: dict[str, str] = {}
    for part in chunks(ids):
        found.update(
            (r[0], r[1])
            for r in conn.execute(
                f"SELECT record_id, village_code FROM sync_pending WHERE table_name = ? AND village_code != ? "
                f"AND record_id IN ({', '.join('?' * len(part))})",
                [table, village, *part],
            )
        )
    return found


def _open_conflicts(conn, table: str, ids: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for part in chunks(ids):
        for r in conn.execute(
            f"SELECT id, record_id, incoming_version, incoming_epoch FROM sync_conflicts "
            f"WHERE table_name = ? "
            f"AND resolved_at IS NULL AND record_id IN ({', '.join('?' * len(part))})",
            [table, *part],
        ):
            out[r["record_id"]] = dict(r)
    return out


def _plan(ctx: Context, bundle: fmt.Bundle, result: ImportResult) -> dict[str, _TablePlan]:
    """What importing ``bundle`` would do, table by table (parents first), nothing written: each
    table's rows are read and checked for form (:func:`_well_formed_rows`), joined by the rows that
    waited for a parent, rid of rows of another village (:func:`_without_foreign`), then each row is
    placed: unchanged, refused with its reasons, waiting for its parent, a conflict, or to write
    (:func:`_place_rows`)."""
    conn = ctx.conn
    meta = bundle.meta
    exported = _date(meta["created_at"]) or ctx.today()
    latest = max(ctx.today(), exported) + dt.timedelta(days=1)
    accepted: dict[str, set[str]] = {}  # valid incoming ids per table (for children)
    plans: dict[str, _TablePlan] = {}
    bundle_epoch = meta.get("epoch", 0)
    known_epoch = village_epoch(conn, bundle.village_code)
    floor = max(known_epoch, bundle_epoch)  # rows of an older epoch are history the village rolled back
    look_back = bool(meta.get("restore")) and meta["full"] and bundle_epoch > known_epoch
    result.stale = bundle_epoch < known_epoch
    for table in RECORD_TABLES:
        res = bundle.resources[table]
        columns = _checked_columns(conn, table, res.headers)
        plan = plans[table] = _TablePlan(columns=list(res.headers))
        col = {h: i for i, h in enumerate(res.headers)}
        rows = _well_formed_rows(table, res, columns, col, bundle, plan, result)
        rows = _with_pending(
            conn, table, bundle.village_code, res.headers, rows, col["id"], col["version"], plan, bundle_epoch
        )
        local = _existing(conn, table, [v[col["id"]] for _n, v in rows])
        rows = _without_foreign(conn, table, bundle.village_code, rows, local, col["id"], plan, result)
        today = latest + dt.timedelta(days=366) if table == "trainings" else latest
        business = [i for i, h in enumerate(res.headers) if h not in META_COLUMNS]
        accepted[table] = _place_rows(
            conn,
            table,
            res.headers,
            rows,
            local,
            accepted,
            plan,
            result,
            check=_FieldChecker(SPECS[table], today),
            business=business,
            bundle_epoch=bundle_epoch,
            floor=floor,
            village=bundle.village_code,
        )
        if look_back:
            result.rolled_back += _rolled_back(conn, table, bundle, res, rows, col, business, bundle_epoch)
    for table, plan in plans.items():
        result.counts[table] = plan.counts
    return plans


def _checked_columns(conn, table: str, headers: list[str]) -> list[dict]:
    """This file's columns of ``table``; refused when the bundle's columns are unknown, missing or twice."""
    columns = table_columns(conn, table)
    known = {c["name"] for c in columns} - set(LOCAL_COLUMNS)
    unknown = [h for h in headers if h not in known]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if unknown or missing or len(set(headers)) != len(headers):
        raise Refused(
            _("The columns of {member} do not match the bundle's description.").format(member=f"{table}.csv")
            + " "
            + ", ".join(unknown + missing)
        )
    return columns


def _well_formed_rows(
    table: str,
    res,
    columns: list[dict],
    col: dict[str, int],
    bundle: fmt.Bundle,
    plan: _TablePlan,
    result: ImportResult,
) -> list[tuple[int, tuple]]:
    """``[(line, values)]`` of the rows whose cells convert, with a valid id seen once, of the
    bundle's village, a valid version and deletion mark and no text over :data:`MAX_TEXT_CELL`; the
    others go to ``result.problems``. A change number outside the declared range refuses the bundle."""
    meta = bundle.meta
    convert = _converter(columns, res.headers, table)
    i_id, i_village, i_version, i_deleted = col["id"], col["village_code"], col["version"], col["deleted"]
    i_change = col.get("change_seq")
    spec_keys = [k for k in SPECS[table].keys if k in col]
    text_cols = [(col[h], h) for h in res.headers if h not in spec_keys]
    rows: list[tuple[int, tuple]] = []
    seen: set[str] = set()
    for n, cells in enumerate(res.rows, 2):
        values, bad = convert(cells)
        rid = values[i_id] or ""
        problems = [
            RowProblem(
                table, n, c, _("The value “{value}” does not fit this column.").format(value=cells[col[c]][:40]), rid
            )
            for c in bad
        ]
        if not is_uuid(rid):
            problems.append(
                RowProblem(table, n, "id", _("“{value}” is not a valid record id.").format(value=rid[:40]), rid)
            )
        elif rid in seen:
            problems.append(RowProblem(table, n, "id", _("The record appears twice in the bundle."), rid))
        if values[i_village] != bundle.village_code:
            problems.append(
                RowProblem(
                    table,
                    n,
                    "village_code",
                    _("The record belongs to village {found}, not to {village}.").format(
                        found=values[i_village], village=bundle.village_code
                    ),
                    rid,
                )
            )
        if values[i_version] is not None and values[i_version] < 1 or values[i_deleted] not in (0, 1, None):
            problems.append(RowProblem(table, n, "version", _("The version or the deletion mark is invalid."), rid))
        if (
            i_change is not None
            and values[i_change] is not None
            and not meta["full"]
            and not meta["from_seq"] < values[i_change] <= meta["to_seq"]
        ):
            raise Refused(
                _(
                    "The bundle {name} does not match its description: a row of {member} lies "
                    "outside the range of changes it declares."
                ).format(name=bundle.file_name, member=f"{table}.csv")
            )
        for i, h in text_cols:
            if len(cells[i]) > MAX_TEXT_CELL:
                problems.append(
                    RowProblem(table, n, h, _("The text is too long ({n} characters).").format(n=len(cells[i])), rid)
                )
        seen.add(rid)
        if problems:
            result.problems += problems
            plan.counts["invalid"] += 1
            continue
        rows.append((n, values))
    return rows


def _without_foreign(
    conn,
    table: str,
    village: str,
    rows: list[tuple[int, tuple]],
    local: dict[str, dict],
    i_id: int,
    plan: _TablePlan,
    result: ImportResult,
) -> list[tuple[int, tuple]]:
    """The rows without those of a record another village owns here (or sent, waiting for its parent)."""
    foreign = {rid: old["village_code"] for rid, old in local.items() if old["village_code"] != village}
    foreign.update(_foreign_pending(conn, table, village, [v[i_id] for _n, v in rows]))
    if not foreign:
        return rows
    kept = []
    for n, values in rows:
        owner = foreign.get(values[i_id])
        if owner is None:
            kept.append((n, values))
            continue
        result.problems.append(
            RowProblem(
                table,
                n,
                "id",
                _(
                    "This record belongs to village {owner}; a bundle of village {village} may not change it. "
                    "The row was refused."
                ).format(owner=owner, village=village),
                values[i_id],
            )
        )
        plan.counts["invalid"] += 1
    return kept


def _parent_lookups(
    conn,
    rows: list[tuple[int, tuple]],
    parents: list[tuple[int, str, bool]],
    accepted: dict[str, set[str]],
    village: str,
) -> tuple[dict[str, set[str]], dict[str, dict[str, str]]]:
    """Per parent table: the ids the rows point to that exist nowhere (neither here nor accepted from
    this bundle), and those that exist but belong to another village (id → owner)."""
    missing: dict[str, set[str]] = {}
    foreign: dict[str, dict[str, str]] = {}
    for ci, parent, _req in parents:
        wanted = {v[ci] for _n, v in rows if v[ci] is not None} - accepted.get(parent, set())
        owners = _owners(conn, parent, wanted)
        missing[parent] = missing.get(parent, set()) | (wanted - set(owners))
        foreign.setdefault(parent, {}).update({i: o for i, o in owners.items() if o != village})
    return missing, foreign


def _place_rows(
    conn,
    table: str,
    headers: list[str],
    rows: list[tuple[int, tuple]],
    local: dict[str, dict],
    accepted: dict[str, set[str]],
    plan: _TablePlan,
    result: ImportResult,
    *,
    check: _FieldChecker,
    business: list[int],
    bundle_epoch: int,
    floor: int,
    village: str,
) -> set[str]:
    """Each well-formed row into ``plan``: unchanged, refused by the keyboard's rules or its parent,
    waiting for a parent not arrived yet, a conflict, or new/updated. Returns the ids accepted (their
    children may attach to them)."""
    col = {h: i for i, h in enumerate(headers)}
    i_id, i_version, i_deleted = col["id"], col["version"], col["deleted"]
    spec_keys = [k for k in SPECS[table].keys if k in col]
    pending = _open_conflicts(conn, table, [v[i_id] for _n, v in rows if v[i_id] in local])
    content = [i for i, h in enumerate(headers) if h != "change_seq"]
    parents = [(col[c], parent, req) for c, parent, req in PARENTS.get(table, []) if c in col]
    missing_parents, foreign_parents = _parent_lookups(conn, rows, parents, accepted, village)
    ok: set[str] = set()
    for n, values in rows:
        rid = values[i_id]
        old = local.get(rid)
        row_epoch = plan.epochs.get(rid, bundle_epoch) if n == 0 else bundle_epoch
        if row_epoch < floor:  # written before a restore the township already knows
            plan.counts["unchanged"] += 1
            plan.settled.append(rid)
            continue
        kind = _classify(old, values, headers, content, business, i_version, row_epoch)
        if kind == "unchanged":
            plan.counts["unchanged"] += 1
            ok.add(rid)
            plan.settled.append(rid)
            continue
        problems = [RowProblem(table, n, p.field, p.message, rid) for k in spec_keys for p in check(k, values[col[k]])]
        if not problems and not values[i_deleted]:  # the keyboard's whole-record rules (a deletion
            row = dict(zip(headers, values))  # always goes through)
            problems = [RowProblem(table, n, p.field, p.message, rid) for p in record_problems(table, row)]
        problems += [
            RowProblem(table, n, headers[ci], _("The parent record is missing."), rid)
            for ci, parent, req in parents
            if req and values[ci] is None
        ]
        problems += [
            RowProblem(
                table,
                n,
                headers[ci],
                _(
                    "The parent record belongs to village {owner}; a bundle of village {village} may not attach rows "
                    "to it."
                ).format(owner=foreign_parents[parent][values[ci]], village=village),
                rid,
            )
            for ci, parent, _req in parents
            if values[ci] in foreign_parents.get(parent, {})
        ]
        orphan = [
            headers[ci]
            for ci, parent, req in parents
            if values[ci] is not None and values[ci] in missing_parents[parent]
        ]
        if problems:
            result.problems += problems
            plan.counts["invalid"] += 1
            plan.settled.append(rid)
            continue
        if orphan:
            result.problems.append(
                RowProblem(
                    table,
                    n,
                    orphan[0],
                    _(
                        "The parent record has not arrived yet (an earlier bundle is missing); this row is kept "
                        "aside and applied automatically when that bundle is imported."
                    ),
                    rid,
                )
            )
            plan.counts["invalid"] += 1
            plan.waiting.append((dict(zip(headers, values)), row_epoch))
            continue
        ok.add(rid)
        plan.settled.append(rid)
        if kind == "conflict" and old is not None:  # (only a stored row can be in conflict)
            plan.counts["conflicting"] += 1
            open_ = pending.get(rid)
            if open_ is None or (row_epoch, values[i_version]) > (open_["incoming_epoch"], open_["incoming_version"]):
                plan.conflicts.append((old, dict(zip(headers, values)), open_["id"] if open_ else None, row_epoch))
            continue
        plan.counts["new" if old is None else "updated"] += 1
        (plan.new_ids if old is None else plan.updated_ids).append(rid)
        plan.write.append(values)
        if row_epoch != bundle_epoch:
            plan.epochs[rid] = row_epoch
    return ok


class _FieldChecker:
    """The domain rules of one field at a time (clean_record's per-field checks), remembered per
    value: a bundle repeats the same types, statuses and dates thousands of times."""

    LIMIT = 50_000

    def __init__(self, spec, today: dt.date):
        self.today = today
        self.single = {f.key: F.RecordSpec(spec.name, spec.label, (f,)) for f in spec.fields}
        self.cache: dict = {}

    def __call__(self, key: str, value) -> list:
        k = (key, value)
        found = self.cache.get(k)
        if found is None:
            found = clean_record(self.single[key], {key: value}, today=self.today, partial=True)[1]
            if len(self.cache) > self.LIMIT:
                self.cache.clear()
            self.cache[k] = found
        return found


def _with_pending(
    conn,
    table: str,
    village: str,
    headers: list[str],
    rows: list,
    i_id: int,
    i_version: int,
    plan: _TablePlan,
    bundle_epoch: int = 0,
) -> list:
    """The bundle's rows plus the rows of this village still waiting for their parent (the higher
    ``(epoch, version)`` of a record wins when it is in both; a waiting row keeps its epoch, in
    ``plan.epochs``, and such rows carry the row number 0)."""
    waiting = conn.execute(
        "SELECT record_id, version, row, epoch FROM sync_pending WHERE table_name = ? AND village_code = ?",
        (table, village),
    ).fetchall()
    if not waiting:
        return rows
    plan.pending_ids = {w[0] for w in waiting}
    by_id = {v[i_id]: k for k, (_n, v) in enumerate(rows)}
    rows = list(rows)
    for record_id, version, text, epoch in waiting:
        stored = json.loads(text)
        values = tuple(stored.get(h) for h in headers)
        k = by_id.get(record_id)
        if k is None:
            rows.append((0, values))
            plan.epochs[record_id] = epoch
        elif (epoch, version) > (bundle_epoch, rows[k][1][i_version]):
            rows[k] = (0, values)
            plan.epochs[record_id] = epoch
    return rows


def _classify(
    old: dict | None,
    values: tuple,
    headers: list[str],
    content: list[int],
    business: list[int],
    i_version: int,
    epoch: int = 0,
) -> str:
    """A record ranks by ``(epoch, version)``: after a restore at the village (a higher epoch than the
    one the township's copy came in) the village's row outranks whatever version it carries."""
    if old is None:
        return "new"
    if all(_same(old[headers[i]], values[i]) for i in content):
        return "unchanged"
    base = old.get("sync_base_version")
    base_epoch = old.get("sync_base_epoch") or 0
    incoming = values[i_version]
    if base is not None and epoch > base_epoch:
        if old["version"] == base or all(_same(old[headers[i]], values[i]) for i in business):
            return "update"  # untouched here since received: the restored village's wins
        return "conflict"  # the township edited its copy since
    if base is not None and epoch < base_epoch:
        return "unchanged"  # older history of the village: ignored
    if base is not None and incoming <= base:
        return "unchanged"  # an older bundle: the township already has newer
    if base is not None and old["version"] == base:
        return "update"  # untouched here since received: the village's wins
    if all(_same(old[headers[i]], values[i]) for i in business):
        return "update" if incoming >= old["version"] else "unchanged"
    return "conflict"


def _same(a, b) -> bool:
    if a == b:
        return True
    return (a is None and b == "") or (a == "" and b is None)


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def _gaps(conn, village: str, seq: int, full: bool) -> list[int]:
    rows = conn.execute("SELECT seq, full FROM sync_imports WHERE village_code = ?", (village,)).fetchall()
    seqs = {r[0] for r in rows} | {seq}
    fulls = [r[0] for r in rows if r[1]] + ([seq] if full else [])
    start = max(fulls) if fulls else 1
    return [n for n in range(start, max(seqs)) if n not in seqs]


def _result(bundle: fmt.Bundle, opened: seal.Opened) -> ImportResult:
    m = bundle.meta
    return ImportResult(
        path=str(bundle.path),
        file_name=bundle.file_name,
        village_code=m["village_code"],
        village_name=m["village_name"],
        seq=m["sequence"],
        period=m["period"],
        full=m["full"],
        from_seq=m["from_seq"],
        to_seq=m["to_seq"],
        exported_at=m["created_at"],
        sealed=opened.sealed,
        signed_by=opened.signed_by,
        epoch=m.get("epoch", 0),
        restore=m.get("restore"),
    )


def _already(conn, bundle: fmt.Bundle) -> dict | None:
    row = conn.execute("SELECT * FROM sync_imports WHERE descriptor_hash = ?", (bundle.descriptor_hash,)).fetchone()
    return dict(row) if row else None


def _notes(conn, bundle: fmt.Bundle, result: ImportResult) -> None:
    done = _already(conn, bundle)
    if done:
        result.already_imported = True
        result.notes.append(
            _("This bundle was already imported on {at}; importing it again changes nothing.").format(at=done["at"])
        )
    elif conn.execute(
        "SELECT 1 FROM sync_imports WHERE village_code = ? AND seq = ?", (bundle.village_code, bundle.seq)
    ).fetchone():
        result.notes.append(
            _(
                "A different bundle with number {seq} from this village was imported before "
                "(the village may have restored a backup). Records are still merged by version."
            ).format(seq=bundle.seq)
        )
    result.gaps = _gaps(conn, bundle.village_code, bundle.seq, bundle.meta["full"])
    if result.gaps:
        result.notes.append(
            _(
                "Bundles missing from this village: number {numbers}. Ask the village to bring them (or a full export)."
            ).format(numbers="、".join(map(str, result.gaps)))
        )


# --- epochs (restores at the village) and the audit witness ----------------------------------------------


def village_epoch(conn, village: str) -> int:
    """The highest epoch seen in a bundle of ``village`` (0: it never announced a restore)."""
    row = conn.execute("SELECT epoch FROM sync_village_epochs WHERE village_code = ?", (village,)).fetchone()
    return row[0] if row else 0


_LABEL_COLUMNS = ("serial_no", "name", "topic", "theme", "caller_name", "question", "summary", "kind")


def _label(row: dict) -> str:
    """A short name of a record for people (a dispute's serial number, a person's name, a topic…)."""
    return next((str(row[c])[:30] for c in _LABEL_COLUMNS if row.get(c)), "")


def _rolled_back(
    conn, table: str, bundle: fmt.Bundle, res: fmt.Resource, rows: list, col: dict, business: list[int], epoch: int
) -> list[dict]:
    """Records of the village whose township copy came from its history before the restore and that the
    restored village (this full bundle) no longer holds as they were: missing (``after`` None), or at a
    version not above the one received with other content. ``before``/``after``: the village versions."""
    i_id, i_version = col["id"], col["version"]
    present = {cells[i_id] for cells in res.rows}
    incoming = {values[i_id]: values for _n, values in rows}
    out = []
    for r in conn.execute(
        f"SELECT * FROM {table} WHERE village_code = ? AND sync_base_version IS NOT NULL "
        f"AND coalesce(sync_base_epoch, 0) < ? ORDER BY id",
        (bundle.village_code, epoch),
    ):
        old = dict(r)
        rid, before = old["id"], old["sync_base_version"]
        if rid not in present:
            if old["deleted"]:
                continue
            after = None
        else:
            values = incoming.get(rid)
            if (
                values is None
                or values[i_version] > before
                or all(_same(old[res.headers[i]], values[i]) for i in business)
            ):
                continue
            after = values[i_version]
        out.append({"table": table, "id": rid, "number": _label(old), "before": before, "after": after})
    return out


def _witness(conn, bundle: fmt.Bundle, result: ImportResult) -> None:
    """Check the village's audit chain against the heads the township saw in its earlier bundles.

    Evidence from the bundle: ``audit_head``, ``audit_checkpoints`` and the ``seq``/``hash``/``prev_hash``
    of its audit entries (``prev_hash`` of entry n is the hash of entry n - 1). A head seen in the same
    epoch must still have the same hash, and a head seen from an earlier (or the same-numbered) bundle
    must not lie beyond the new head. Across a restore (an older epoch) the chain was rolled back to a prefix of
    itself: the heads that still match must all come before those that differ."""
    meta = bundle.meta
    head = meta.get("audit_head")
    if head is None or result.stale:
        return  # a bundle of an older program, or older history
    evidence: dict[int, str] = {}
    rewritten: list[dict] = []

    def add(seq: int, digest: str) -> None:
        if seq <= 0:
            return
        known = evidence.setdefault(seq, digest)
        if known != digest:  # the bundle contradicts itself
            rewritten.append({"seq": seq, "seen": known, "now": digest})

    for point in meta.get("audit_checkpoints", []):
        add(point["seq"], point["hash"])
    add(head["seq"], head["hash"])
    res = bundle.resources[fmt.AUDIT_TABLE]
    if all(c in res.headers for c in ("seq", "hash", "prev_hash")):
        i_seq, i_hash, i_prev = (res.headers.index(c) for c in ("seq", "hash", "prev_hash"))
        for cells in res.rows:
            if cells[i_seq].isdigit():
                add(int(cells[i_seq]), cells[i_hash])
                if cells[i_prev] != audit.GENESIS:
                    add(int(cells[i_seq]) - 1, cells[i_prev])
    seen = conn.execute(
        "SELECT seq, hash, epoch, bundle_seq FROM sync_witness WHERE village_code = ? ORDER BY seq",
        (bundle.village_code,),
    ).fetchall()
    checked = 0
    older_match: list[tuple[int, str, str]] = []  # (seq, digest seen, digest now)
    older_differ: list[tuple[int, str, str]] = []
    for seq, digest, epoch, bundle_seq in seen:
        now = evidence.get(seq)
        if epoch == result.epoch:
            if now is not None:
                checked += 1
                if now != digest:
                    rewritten.append({"seq": seq, "seen": digest, "now": now})
            elif seq > head["seq"] and bundle_seq is not None and bundle_seq <= bundle.seq:
                rewritten.append({"seq": seq, "seen": digest, "now": ""})  # the chain was cut short
        elif epoch < result.epoch and now is not None:
            checked += 1
            (older_match if now == digest else older_differ).append((seq, digest, now))
    if older_match and older_differ:
        top = max(seq for seq, _d, _n in older_match)
        rewritten += [{"seq": seq, "seen": digest, "now": now} for seq, digest, now in older_differ if seq < top]
    result.witness = {"head": dict(head), "checked": checked, "rewritten": rewritten}


def _store_epoch_and_witness(conn, bundle: fmt.Bundle, result: ImportResult, now: str) -> None:
    """Inside the import's transaction: the village's epoch and the audit head this bundle showed."""
    conn.execute(
        "INSERT INTO sync_village_epochs (village_code, epoch, seen_at) VALUES (?, ?, ?) "
        "ON CONFLICT (village_code) DO UPDATE SET epoch = excluded.epoch, seen_at = excluded.seen_at "
        "WHERE excluded.epoch > sync_village_epochs.epoch",
        (bundle.village_code, result.epoch, now),
    )
    head = bundle.meta.get("audit_head")
    if head and head["seq"] > 0:
        conn.execute(
            "INSERT INTO sync_witness (village_code, seq, hash, epoch, bundle_seq, seen_at) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (village_code, seq) DO UPDATE SET hash = excluded.hash, "
            "epoch = excluded.epoch, bundle_seq = excluded.bundle_seq, seen_at = excluded.seen_at",
            (bundle.village_code, head["seq"], head["hash"], result.epoch, bundle.seq, now),
        )


def _epoch_notes(conn, bundle: fmt.Bundle, result: ImportResult) -> None:
    """After the plan: what a restore at the village means here, and the witness's finding."""
    name = result.village_name
    known = village_epoch(conn, bundle.village_code)
    if result.stale:
        result.notes.append(
            _(
                "This bundle was written before village {village} restored a backup (its epoch {epoch} "
                "is older than {known}): its records are older than what the township holds and were "
                "ignored."
            ).format(village=name, epoch=result.epoch, known=known)
        )
    elif result.epoch > known and result.restore:
        result.notes.append(
            _(
                "Village {village} restored the backup {backup} on {at}: everything it holds now "
                "outranks what it sent before."
            ).format(
                village=name, backup=result.restore.get("backup") or "?", at=result.restore.get("restored_at") or "?"
            )
        )
    elif result.epoch > known:
        result.notes.append(
            _(
                "Village {village} has restored a backup since its last bundle here, but the bundle "
                "that announced it has not been imported; ask the village for a full export."
            ).format(village=name)
        )
    if result.rolled_back:
        shown = "、".join(
            f"{_(SPECS[r['table']].label)} {r['number'] or r['id'][:8]}（{r['before']}→"
            f"{r['after'] if r['after'] is not None else _('missing')}）"
            for r in result.rolled_back[:10]
        )
        more = len(result.rolled_back) - 10
        result.notes.append(
            _(
                "The restore rolled back {n} records the township had received from the village "
                "(version here → in the village now): {records}"
            ).format(n=len(result.rolled_back), records=shown)
            + (_(" and {n} more").format(n=more) if more > 0 else "")
        )
    _witness(conn, bundle, result)
    if result.witness.get("rewritten"):
        seqs = sorted({r["seq"] for r in result.witness["rewritten"]})
        result.notes.append(
            _(
                "The audit history of village {village} differs from what the township saw in its "
                "earlier bundles (entries {seqs}): it was rewritten or cut short at the village. The "
                "records were still merged; ask the village why, and keep this bundle."
            ).format(village=name, seqs="、".join(map(str, seqs[:20])))
        )


# --- public API -------------------------------------------------------------------------------------


def preview_bundle(ctx: Context, path, *, allow_unsealed: bool = False) -> ImportResult:
    """Check a bundle and count what applying it would do. Writes nothing.
    ``allow_unsealed``: accept a plain (unsealed) bundle; administrators only."""
    ctx.require(Permission.SYNC)
    bundle, opened = _load(ctx, path, allow_unsealed)
    result = _result(bundle, opened)
    conn = ctx.conn
    conn.execute("BEGIN")
    try:
        _notes(conn, bundle, result)
        _plan(ctx, bundle, result)
        attached.apply_part(ctx, bundle, result, ctx.now_text(), RowProblem, dry_run=True)  # issue 16
        _epoch_notes(conn, bundle, result)
        if result.already_imported:
            for counts in result.counts.values():
                counts["unchanged"] += counts["new"] + counts["updated"] + counts["conflicting"]
                counts["new"] = counts["updated"] = counts["conflicting"] = 0
    finally:
        conn.execute("ROLLBACK")
    return result


def _backup(ctx: Context, bundle: fmt.Bundle) -> str | None:
    return str(backup.backup_before(ctx, "import"))


def apply_bundle(
    ctx: Context, path, *, progress: Callable[[int, int], None] | None = None, allow_unsealed: bool = False
) -> ImportResult:
    """Back up, then merge the bundle in one transaction. Returns the counts and the rejected rows.
    ``allow_unsealed``: accept a plain (unsealed) bundle; administrators only."""
    ctx.require(Permission.SYNC)
    bundle, opened = _load(ctx, path, allow_unsealed)
    result = _result(bundle, opened)
    conn = ctx.conn
    if _already(conn, bundle):
        _notes(conn, bundle, result)
        for table in RECORD_TABLES:
            result.counts[table] = dict.fromkeys(COUNT_KEYS, 0) | {"unchanged": len(bundle.resources[table].rows)}
        return result
    result.backup = _backup(ctx, bundle)
    now = ctx.now_text()
    village = bundle.village_code
    total = sum(len(bundle.resources[t].rows) for t in RECORD_TABLES) or 1
    done = 0
    with transaction(conn):
        _notes(conn, bundle, result)
        if result.already_imported:  # another window got there first
            return result
        plans = _plan(ctx, bundle, result)
        _epoch_notes(conn, bundle, result)
        bulk = BulkLoad(conn)  # search index and follow-ups due: in bulk, not per row
        for table in RECORD_TABLES:
            plan = plans[table]
            cols = plan.columns
            i_change = cols.index("change_seq") if "change_seq" in cols else None
            names = [c for c in cols if c != "change_seq"] + ["change_seq", "sync_base_version", "sync_base_epoch"]
            sql = (
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) "
                f"ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in names if c != "id")
            )
            i_version = cols.index("version")
            i_id = cols.index("id")
            bulk.before_write(table, (row[i_id] for row in plan.write))
            new = set(plan.new_ids)
            for part in chunks(plan.write, AUDIT_BATCH):
                ids = [v[i_id] for v in part]
                seq = audit.append(
                    conn,
                    at=now,
                    user=ctx.user,
                    action="import_bundle",
                    table_name=table,
                    village_code=village,
                    origin=village,
                    changes={
                        "bundle": bundle.file_name,
                        "seq": bundle.seq,
                        "inserted": [i for i in ids if i in new],
                        "updated": [i for i in ids if i not in new],
                    },
                )
                conn.executemany(
                    sql,
                    [
                        tuple(v for j, v in enumerate(row) if j != i_change)
                        + (seq, row[i_version], plan.epochs.get(row[i_id], result.epoch) or None)
                        for row in part
                    ],
                )
                audit.seal_rows(conn, seq, table)  # digests of the rows as stored, for check
                done += len(part)
                if progress:
                    progress(done, total)
            for local, incoming, open_id, epoch in plan.conflicts:
                _store_conflict(ctx, table, local, incoming, open_id, bundle, epoch)
            settled = [i for i in plan.settled if i in plan.pending_ids]
            for part in chunks(settled):
                conn.execute(
                    f"DELETE FROM sync_pending WHERE table_name = ? AND record_id IN ({', '.join('?' * len(part))})",
                    [table, *part],
                )
            conn.executemany(
                "INSERT INTO sync_pending (table_name, record_id, village_code, version, row, bundle_seq, epoch) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (table_name, record_id) DO UPDATE SET "
                "version = excluded.version, row = excluded.row, bundle_seq = excluded.bundle_seq, "
                "epoch = excluded.epoch WHERE (excluded.epoch, excluded.version) >= "
                "(sync_pending.epoch, sync_pending.version)",
                [
                    (table, r["id"], village, r["version"], json.dumps(r, ensure_ascii=False), bundle.seq, epoch)
                    for r, epoch in plan.waiting
                ],
            )
            done += len(bundle.resources[table].rows) - len(plan.write)
            if progress:
                progress(min(done, total), total)
        bulk.finish()
        attached.apply_part(ctx, bundle, result, now, RowProblem)  # attachments after their records (issue 16)
        _store_remote_audit(conn, bundle)
        if not result.stale:
            _store_epoch_and_witness(conn, bundle, result, now)
        counts = dict(result.counts)
        rejected = [asdict(p) for p in result.problems]
        conn.execute(
            "INSERT INTO sync_imports (descriptor_hash, village_code, seq, file_name, at, user, exported_at, period,"
            " full, from_seq, to_seq, counts, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                bundle.descriptor_hash,
                village,
                bundle.seq,
                bundle.file_name,
                now,
                ctx.user,
                result.exported_at,
                result.period,
                int(result.full),
                result.from_seq,
                result.to_seq,
                json.dumps(counts),
                json.dumps(rejected, ensure_ascii=False),
            ),
        )
        write_setting(
            conn,
            "sync.last_import",
            {"at": now, "path": str(bundle.path), "village": village, "seq": bundle.seq, "counts": result.totals},
        )
        audit.append(
            conn,
            at=now,
            user=ctx.user,
            action="import_bundle",
            table_name="sync_imports",
            record_id=bundle.file_name,
            village_code=village,
            origin=village,
            changes={
                "seq": bundle.seq,
                "period": result.period,
                **result.totals,
                "gaps": result.gaps,
                "sealed": opened.sealed,
                "signed_by": opened.signed_by,
                "epoch": result.epoch,
                "stale": result.stale,
                **({"restore": result.restore} if result.restore else {}),
                **(
                    {"rolled_back": result.rolled_back[:200], "rolled_back_count": len(result.rolled_back)}
                    if result.rolled_back
                    else {}
                ),
                **({"audit_rewritten": result.witness["rewritten"]} if result.witness.get("rewritten") else {}),
            },
            reason=_("the village's audit history was rewritten") if result.witness.get("rewritten") else "",
        )
    result.applied = True
    return result


def _store_conflict(
    ctx: Context, table: str, local: dict, incoming: dict, open_id: int | None, bundle: fmt.Bundle, epoch: int = 0
) -> None:
    conn = ctx.conn
    local_row = {k: v for k, v in local.items() if k not in LOCAL_COLUMNS}
    if open_id is None:
        conn.execute(
            "INSERT INTO sync_conflicts (table_name, record_id, village_code, local_row, incoming_row, "
            "incoming_version, bundle_seq, detected_at, incoming_epoch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                table,
                local["id"],
                bundle.village_code,
                json.dumps(local_row, ensure_ascii=False),
                json.dumps(incoming, ensure_ascii=False),
                incoming["version"],
                bundle.seq,
                ctx.now_text(),
                epoch,
            ),
        )
    else:
        conn.execute(
            "UPDATE sync_conflicts SET incoming_row = ?, incoming_version = ?, bundle_seq = ?, "
            "incoming_epoch = ? WHERE id = ?",
            (json.dumps(incoming, ensure_ascii=False), incoming["version"], bundle.seq, epoch, open_id),
        )
    audit.append(
        conn,
        at=ctx.now_text(),
        user=ctx.user,
        action="sync_conflict",
        table_name=table,
        record_id=local["id"],
        village_code=bundle.village_code,
        origin=bundle.village_code,
        changes=audit.diff(local_row, incoming),
        reason=bundle.file_name,
    )


def _store_remote_audit(conn, bundle: fmt.Bundle) -> None:
    res = bundle.resources[fmt.AUDIT_TABLE]
    cols = [c for c in res.headers if c in fmt.AUDIT_COLUMNS and c != "village_code"]
    idx = [res.headers.index(c) for c in cols]
    i_seq = res.headers.index("seq") if "seq" in res.headers else None
    if i_seq is None:
        return
    rows = [(bundle.village_code, *(r[i] for i in idx)) for r in res.rows if r[i_seq].isdigit()]
    conn.executemany(
        f"INSERT OR IGNORE INTO sync_remote_audit (village_code, {', '.join(cols)}) "
        f"VALUES (?, {', '.join('?' * len(cols))})",
        rows,
    )


# --- conflicts ---------------------------------------------------------------------------------------


def conflicts(conn, *, open_only: bool = True) -> list[dict]:
    sql = "SELECT * FROM sync_conflicts" + (" WHERE resolved_at IS NULL" if open_only else "") + " ORDER BY id"
    out = []
    for r in conn.execute(sql):
        d = dict(r)
        d["local_row"] = json.loads(d["local_row"])
        d["incoming_row"] = json.loads(d["incoming_row"])
        out.append(d)
    return out


def conflict_fields(conflict: dict) -> list[tuple[str, object, object, bool]]:
    """``[(column, local value, incoming value, differs)]`` for a side-by-side view."""
    local, incoming = conflict["local_row"], conflict["incoming_row"]
    current = dict(local)
    keys = [k for k in {**current, **incoming} if k not in ("change_seq",)]
    return [(k, current.get(k), incoming.get(k), not _same(current.get(k), incoming.get(k))) for k in keys]


def resolve_conflict(ctx: Context, conflict_id: int, keep: str) -> dict:
    """Keep the township's copy (``"local"``) or the village's (``"incoming"``); audited."""
    ctx.require(Permission.SYNC)
    if keep not in ("local", "incoming"):
        raise Refused(_("Choose whether to keep the township's copy or the village's."))
    conn = ctx.conn
    with transaction(conn):
        row = conn.execute(
            "SELECT * FROM sync_conflicts WHERE id = ? AND resolved_at IS NULL", (conflict_id,)
        ).fetchone()
        if row is None:
            raise NotFound(_("This conflict was already resolved or does not exist."))
        table, record_id = row["table_name"], row["record_id"]
        if table not in RECORD_TABLES:
            raise Refused(_("This conflict was already resolved or does not exist."))
        incoming = json.loads(row["incoming_row"])
        current = dict(conn.execute(f"SELECT * FROM {table} WHERE id = ?", (record_id,)).fetchone())
        now = ctx.now_text()
        if keep == "incoming":
            after = {k: v for k, v in incoming.items() if k != "change_seq"}
        else:
            after = {
                "version": max(current["version"], incoming["version"]) + 1,
                "updated_at": now,
                "updated_by": ctx.user,
            }
        seq = audit.append(
            conn,
            at=now,
            user=ctx.user,
            action="resolve_conflict",
            table_name=table,
            record_id=record_id,
            village_code=row["village_code"],
            changes=audit.diff(current, {**current, **after}),
            reason=_("kept the village's copy") if keep == "incoming" else _("kept the township's copy"),
        )
        after.update(
            change_seq=seq, sync_base_version=incoming["version"], sync_base_epoch=row["incoming_epoch"] or None
        )
        after.pop("id", None)
        conn.execute(
            f"UPDATE {table} SET {', '.join(f'{k} = ?' for k in after)} WHERE id = ?", [*after.values(), record_id]
        )
        audit.seal_rows(conn, seq, table, [record_id])
        conn.execute(
            "UPDATE sync_conflicts SET resolved_at = ?, resolution = ?, resolved_by = ? WHERE id = ?",
            (now, keep, ctx.user, conflict_id),
        )
    return dict(conn.execute(f"SELECT * FROM {table} WHERE id = ?", (record_id,)).fetchone())
