"""The bundle format: one zip holding a CSV per table and a Frictionless ``datapackage.json``.

File name: ``<village_code>_<seq:05d>_<YYYYMMDD>.zip``.

Members
    ``datapackage.json`` and one CSV per table: every register table of
    :data:`~dudu_desktop.storage.schema.RECORD_TABLES` (every column but local bookkeeping),
    ``audit_log.csv`` (the village's audit entries of the exported changes) and ``villages.csv``
    (the village's own row). A table with no changes is a CSV with only its header row.
CSV
    UTF-8 without BOM, a header row, RFC 4180 quoting, CRLF line ends, written with :mod:`csv`.
    Cells are **not** neutralised against spreadsheet formulas: a bundle is data for the program,
    not a file for Excel, and must round-trip exactly. An empty cell is NULL for a nullable
    column and ``''`` for a NOT NULL text column (``missingValues: [""]``); integers are written
    as digits and reals with Python's shortest round-trip ``repr``.
Descriptor
    ``profile: tabular-data-package``; each resource has ``path``, ``schema.fields`` (name, type),
    ``bytes`` and ``hash: "sha256:<hex>"``. Our own keys sit under ``"dudu"``: ``format_version``,
    ``schema_version`` (:func:`dudu_desktop.storage.db.schema_version` of the exporting file),
    ``village_code``, ``village_name``, ``township_code``, ``sequence``, ``from_seq``/``to_seq``
    (the audit-sequence range ``(from_seq, to_seq]`` covered), ``full``, ``period`` (the month
    reported, ``YYYY-MM``), ``row_counts`` and ``created_at``; since issue 11 also ``epoch``
    (:mod:`dudu_desktop.services.epoch`; absent: 0), ``restore`` on the first bundle after a
    restore, ``audit_head`` and ``audit_checkpoints`` (``{"seq", "hash"}`` of the village's audit
    chain, for the township's witness; absent in bundles of older programs).

:func:`read_bundle` checks all of it and returns a :class:`Bundle`, or raises
:class:`~dudu_desktop.domain.problems.Refused` with a Chinese message; it never touches a database.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from dudu_desktop.domain import bounded_json
from dudu_desktop.domain.problems import Refused
from dudu_desktop.i18n import _
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync.container import ContainerError, read_zip_safely, sha256_hex
from dudu_desktop.sync.state import FORMAT_VERSION

DESCRIPTOR = "datapackage.json"
AUDIT_TABLE = "audit_log"
VILLAGES_TABLE = "villages"
BUNDLE_TABLES = (*RECORD_TABLES, AUDIT_TABLE, VILLAGES_TABLE)
MEMBER_NAMES = frozenset({DESCRIPTOR, *(f"{t}.csv" for t in BUNDLE_TABLES)})
NAME_RE = re.compile(r"^(?P<village>\d{12})_(?P<seq>\d{5,})_(?P<date>\d{8})\.zip$")
MAX_DESCRIPTOR_BYTES = 4 * 1024 * 1024  # the description of a bundle is a few KB
MAX_JSON_DEPTH = 16  # it nests 5 levels deep (resources → schema → fields)
# --- attachments (issue 16, sync/attachments.py): an optional ``attachments.csv`` and the files as
# members ``blobs/<sha256>``, each listed in the description with its size and SHA-256.
ATTACHMENTS_TABLE = "attachments"
BLOB_DIR = "blobs/"
BLOB_RE = re.compile(r"^blobs/[0-9a-f]{64}$")
MAX_MEMBERS = 64 + 20_000  # the tables and up to 20,000 files
MEMBER_NAMES = MEMBER_NAMES | {f"{ATTACHMENTS_TABLE}.csv"}  # optional: absent in older bundles


def member_allowed(name: str) -> bool:
    return name in MEMBER_NAMES or BLOB_RE.match(name) is not None


def blob_resource(sha: str, data: bytes) -> dict:
    return {
        "name": f"blob-{sha}",
        "path": f"{BLOB_DIR}{sha}",
        "profile": "data-resource",
        "mediatype": "application/octet-stream",
        "bytes": len(data),
        "hash": "sha256:" + sha256_hex(data),
    }


# --- end attachments
AUDIT_COLUMNS = (
    "seq",
    "uid",
    "at",
    "user",
    "action",
    "table_name",
    "record_id",
    "village_code",
    "changes",
    "reason",
    "origin",
    "prev_hash",
    "hash",
)
VILLAGE_COLUMNS = ("code", "name", "township_code", "township_name", "created_at", "updated_at")


def bundle_name(village_code: str, seq: int, date) -> str:
    return f"{village_code}_{seq:05d}_{date:%Y%m%d}.zip"


def frictionless_type(sql_type: str) -> str:
    t = sql_type.upper()
    if "INT" in t:
        return "integer"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "number"
    return "string"


def encode_csv(headers: list[str], rows) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else repr(v) if isinstance(v, float) else v for v in row])
    return out.getvalue().encode("utf-8")


def decode_csv(data: bytes, name: str) -> tuple[list[str], list[list[str]]]:
    try:
        text = data.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Refused(_("The bundle's file {name} is not a valid UTF-8 CSV file.").format(name=name)) from exc
    if not rows:
        raise Refused(_("The bundle's file {name} has no header row.").format(name=name))
    return rows[0], rows[1:]


@dataclass
class Resource:
    table: str
    fields: list[dict]  # [{"name", "type"}]
    headers: list[str]
    rows: list[list[str]]  # text cells, as in the CSV


@dataclass
class Bundle:
    path: Path
    descriptor: dict
    descriptor_hash: str
    resources: dict[str, Resource] = field(default_factory=dict)
    blobs: dict[str, bytes] = field(default_factory=dict)  # sha256 → bytes (attachments, issue 16)

    @property
    def meta(self) -> dict:
        return self.descriptor["dudu"]

    @property
    def village_code(self) -> str:
        return self.meta["village_code"]

    @property
    def seq(self) -> int:
        return self.meta["sequence"]

    @property
    def file_name(self) -> str:
        return self.path.name


def build_descriptor(
    meta: dict, tables: dict[str, tuple[list[dict], bytes, int]], blobs: dict[str, bytes] | None = None
) -> dict:
    """``tables``: name → (fields [{name, type}], csv bytes, row count); ``blobs``: sha256 → bytes."""
    resources = []
    for name, (fields, data, _count) in tables.items():
        resources.append(
            {
                "name": name.replace("_", "-"),
                "path": f"{name}.csv",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(data),
                "hash": "sha256:" + sha256_hex(data),
                "dialect": {
                    "delimiter": ",",
                    "lineTerminator": "\r\n",
                    "quoteChar": '"',
                    "doubleQuote": True,
                    "header": True,
                },
                "schema": {
                    "fields": fields,
                    "missingValues": [""],
                    **({"primaryKey": "id"} if name in RECORD_TABLES or name == ATTACHMENTS_TABLE else {}),
                },
            }
        )
    resources += [blob_resource(sha, data) for sha, data in (blobs or {}).items()]
    return {
        "profile": "tabular-data-package",
        "name": f"dudu-{meta['village_code']}-{meta['sequence']:05d}",
        "title": f"{meta['village_name']} {meta['period']}",
        "created": meta["created_at"],
        "dudu": {
            "format_version": FORMAT_VERSION,
            **meta,
            "row_counts": {name: count for name, (_f, _d, count) in tables.items()},
        },
        "resources": resources,
    }


def _refuse_container(exc: ContainerError, path: Path) -> Refused:
    return Refused(_("The bundle {name} cannot be used: {reason}").format(name=path.name, reason=exc.message))


def read_bundle(path, *, our_schema_version: int, data: bytes | None = None) -> Bundle:
    """Open and check a bundle; nothing else is touched. Raises :class:`Refused`.

    ``data``: the plain zip's bytes when they come from a sealed file (``path`` then only names it)."""
    path = Path(path)
    try:
        files = read_zip_safely(
            path if data is None else io.BytesIO(data), allowed_names=member_allowed, max_members=MAX_MEMBERS
        )
    except ContainerError as exc:
        raise _refuse_container(exc, path) from exc
    if DESCRIPTOR not in files:
        raise Refused(_("{name} is not a bundle of this program (it has no datapackage.json).").format(name=path.name))
    raw = files.pop(DESCRIPTOR)
    try:
        descriptor = bounded_json.loads(raw, max_bytes=MAX_DESCRIPTOR_BYTES, max_depth=MAX_JSON_DEPTH)
        meta = descriptor["dudu"]
        resources = descriptor["resources"]
        if (
            descriptor.get("profile") != "tabular-data-package"
            or not isinstance(resources, list)
            or not isinstance(meta, dict)
        ):
            raise ValueError
    except (UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise Refused(
            _("{name} is not a bundle of this program (its datapackage.json cannot be read).").format(name=path.name)
        ) from exc
    if meta.get("format_version") != FORMAT_VERSION:
        raise Refused(
            _(
                "{name} has a bundle format this program does not know (format {found}, this program "
                "reads format {known}). Please update the program."
            ).format(name=path.name, found=meta.get("format_version"), known=FORMAT_VERSION)
        )
    _check_meta(meta, path)
    if meta["schema_version"] > our_schema_version:
        raise Refused(
            _(
                "{name} was written by a newer version of the program (schema {found}, this program "
                "knows {known}). Please update the program at the township first; nothing was "
                "changed."
            ).format(name=path.name, found=meta["schema_version"], known=our_schema_version)
        )
    bundle = Bundle(path=path, descriptor=descriptor, descriptor_hash=sha256_hex(raw))
    listed = set()
    for res in resources:
        try:
            member, size, digest = res["path"], res["bytes"], res["hash"]
            blob_member = isinstance(member, str) and BLOB_RE.match(member) is not None  # no schema
            fields = [] if blob_member else res["schema"]["fields"]
            names = [f["name"] for f in fields]
        except (KeyError, TypeError) as exc:
            raise Refused(_("The description of the files in {name} is incomplete.").format(name=path.name)) from exc
        if blob_member and member not in listed:  # attachments
            listed.add(member)
            blob = files.get(member)
            if blob is None:
                raise Refused(
                    _("The bundle {name} is incomplete: {member} is missing.").format(name=path.name, member=member)
                )
            if size != len(blob) or digest != "sha256:" + sha256_hex(blob) or member != BLOB_DIR + sha256_hex(blob):
                raise Refused(
                    _(
                        "The bundle {name} is damaged or was altered: the checksum of {member} does not "
                        "match. Export it again at the village."
                    ).format(name=path.name, member=member)
                )
            bundle.blobs[member[len(BLOB_DIR) :]] = blob
            continue
        table = member[:-4] if isinstance(member, str) and member.endswith(".csv") else None
        if (table not in BUNDLE_TABLES and table != ATTACHMENTS_TABLE) or member in listed:
            raise Refused(
                _("The bundle {name} lists an unexpected file: {member}").format(name=path.name, member=member)
            )
        listed.add(member)
        if member not in files:
            raise Refused(
                _("The bundle {name} is incomplete: {member} is missing.").format(name=path.name, member=member)
            )
        data = files[member]
        if size != len(data) or digest != "sha256:" + sha256_hex(data):
            raise Refused(
                _(
                    "The bundle {name} is damaged or was altered: the checksum of {member} does not "
                    "match. Export it again at the village."
                ).format(name=path.name, member=member)
            )
        headers, rows = decode_csv(data, member)
        if headers != names:
            raise Refused(_("The columns of {member} do not match the bundle's description.").format(member=member))
        count = meta.get("row_counts", {}).get(table)
        if count != len(rows):
            raise Refused(
                _(
                    "The bundle {name} does not match its description: {member} has {found} rows, {declared} declared."
                ).format(name=path.name, member=member, found=len(rows), declared=count)
            )
        if any(len(r) != len(headers) for r in rows):
            raise Refused(_("The rows of {member} do not all have {n} cells.").format(member=member, n=len(headers)))
        bundle.resources[table] = Resource(table, fields, headers, rows)
    extra = set(files) - listed
    if extra:
        raise Refused(
            _("The bundle {name} contains files its description does not list: {members}").format(
                name=path.name, members=", ".join(sorted(extra))
            )
        )
    missing = [t for t in BUNDLE_TABLES if t not in bundle.resources]
    if missing:
        raise Refused(
            _("The bundle {name} is incomplete: {member} is missing.").format(
                name=path.name, member=", ".join(f"{t}.csv" for t in missing)
            )
        )
    return bundle


def _check_meta(meta: dict, path: Path) -> None:
    wanted = {
        "schema_version": int,
        "village_code": str,
        "village_name": str,
        "township_code": str,
        "sequence": int,
        "from_seq": int,
        "to_seq": int,
        "full": bool,
        "period": str,
        "created_at": str,
        "row_counts": dict,
    }
    for key, kind in wanted.items():
        if not isinstance(meta.get(key), kind) or (kind is int and isinstance(meta.get(key), bool)):
            raise Refused(
                _("The description in {name} is incomplete or wrong ({key}).").format(name=path.name, key=key)
            )
    if (
        not (0 <= meta["from_seq"] <= meta["to_seq"])
        or meta["sequence"] < 1
        or not re.fullmatch(r"\d{4}-\d{2}", meta["period"])
        or not re.fullmatch(r"\d{12}", meta["village_code"])
    ):
        raise Refused(
            _("The description in {name} is incomplete or wrong ({key}).").format(name=path.name, key="sequence")
        )
    # written by newer programs; a bundle without them is epoch 0 with no audit head (older villages)
    optional = {
        "epoch": lambda v: _count(v),
        "audit_head": _point,
        "audit_checkpoints": lambda v: isinstance(v, list) and len(v) <= 1000 and all(map(_point, v)),
        "restore": lambda v: (
            isinstance(v, dict)
            and _count(v.get("epoch"))
            and _count(v.get("previous", 0))
            and all(isinstance(v.get(k, ""), str) and len(v.get(k, "")) <= 300 for k in ("restored_at", "backup"))
        ),
    }
    for key, ok in optional.items():
        if key in meta and not ok(meta[key]):
            raise Refused(
                _("The description in {name} is incomplete or wrong ({key}).").format(name=path.name, key=key)
            )


def _count(value) -> bool:
    return type(value) is int and 0 <= value < 2**62


def _point(value) -> bool:
    return (
        isinstance(value, dict)
        and _count(value.get("seq"))
        and isinstance(value.get("hash"), str)
        and re.fullmatch(r"[0-9a-f]{64}", value["hash"]) is not None
    )
