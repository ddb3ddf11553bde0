"""Hostile bundles at the township (property-based, hypothesis): random byte flips, truncations and
insertions in sealed and plain bundles, malformed CSV and JSON inside a correctly zipped, correctly
checksummed and even correctly *signed* bundle (so the bad content reaches the parsers), zip bombs,
names that leave the folder, oversized cells.

Every outcome is either a clean refusal (:class:`Refused` with a Chinese message, the township's
database file byte-for-byte unchanged) or a clean :class:`ImportResult` whose stored rows respect
the field length limits. Anything else (another exception, a traceback) fails the test.

Examples are bounded (``deadline=None``, small ``max_examples``) so the file runs in well under a
minute."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dudu_desktop.domain import fields as F
from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import demo, hotline
from dudu_desktop.services.context import Context
from dudu_desktop.storage import db as storage
from dudu_desktop.storage.db import open_database
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync import bundle as fmt
from dudu_desktop.sync import keys, seal
from dudu_desktop.sync.export import export_bundle
from dudu_desktop.sync.merge import SPECS, ImportResult, apply_bundle, preview_bundle
from tests.conftest import NOW
from tests.test_seal import A, new_township, new_village, register

HOSTILE = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class World:
    """A registered village's sealed and plain bundles, and a pristine township file to copy."""

    def __init__(self, root: Path):
        self.root = root
        town = new_township(root / "town0.sqlite3")
        village = new_village(root / "village.sqlite3")
        demo.generate(village, year=2024, seed=9)
        hotline.create_call(
            village,
            {
                "called_at": "2024-12-01 09:30",
                "channel": "电话",
                "category": "劳动",
                "question": "=HYPERLINK(\"http://x\")",
                "anonymous": True,
            },
        )
        usb = root / "usb"
        usb.mkdir()
        register(town, village, usb)
        self.sealed = export_bundle(village, usb, full=True).path
        self.plain = export_bundle(village, root, unsealed=True, full=True).path
        self.identity = keys.sealing_identity(village.conn, A[0])
        with zipfile.ZipFile(self.plain) as zf:
            self.members = {i.filename: zf.read(i) for i in zf.infolist()}
        village.conn.close()
        town.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        town.conn.close()
        self.pristine = root / "town0.sqlite3"
        self.n = 0

    def township(self, name: str) -> tuple[Context, Path]:
        path = self.root / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(self.pristine, path)
        return Context(conn=open_database(path), user="town-admin", clock=lambda: NOW), path

    def file(self, data: bytes, suffix: str) -> Path:
        self.n += 1
        path = self.root / "in" / f"{A[0]}_{self.n:05d}_20241220{suffix}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        return path

    def seal(self, plain: bytes) -> bytes:
        """Sealed and signed with the village's real key: the content reaches the township's parsers."""
        seq = json.loads(self.members[fmt.DESCRIPTOR])["dudu"]["sequence"]
        return seal.seal(plain, self.identity, seq=seq, name=self.plain.name, created="2024-12-20T10:00:00")


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return World(tmp_path_factory.mktemp("hostile"))


@pytest.fixture
def town(world, request):
    ctx, path = world.township(request.node.name.replace("[", "_").replace("]", "_"))
    yield ctx, path
    ctx.conn.close()


def snapshot(ctx: Context, path: Path) -> str:
    ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_limits(conn) -> None:
    """Whatever was accepted respects the field limits and the file is intact."""
    for table in RECORD_TABLES:
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
        for f in SPECS[table].fields:
            if f.key in cols:
                longest = conn.execute(
                    f"SELECT max(length({f.key})) FROM {table} WHERE typeof({f.key}) = 'text'"
                ).fetchone()[0]
                assert longest is None or longest <= f.limit, (table, f.key, longest)
        for (name,) in conn.execute(f"SELECT name FROM pragma_table_info('{table}') WHERE type = 'TEXT'"):
            longest = conn.execute(f"SELECT max(length({name})) FROM {table}").fetchone()[0]
            assert longest is None or longest <= F.MAX_LONGTEXT, (table, name, longest)
    assert storage.integrity_problems(conn) == []


def attempt(ctx: Context, path: Path, db_file: Path, *, allow_unsealed: bool) -> ImportResult | None:
    """Preview then apply; a refusal must be the same both times and change nothing."""
    before = snapshot(ctx, db_file)
    try:
        preview = preview_bundle(ctx, path, allow_unsealed=allow_unsealed)
    except Refused as exc:
        message = str(exc)
        assert message and any("\u4e00" <= ch <= "\u9fff" for ch in message), message
        with pytest.raises(Refused) as again:
            apply_bundle(ctx, path, allow_unsealed=allow_unsealed)
        assert str(again.value) == message
        assert snapshot(ctx, db_file) == before
        return None
    assert snapshot(ctx, db_file) == before  # a preview never writes
    result = apply_bundle(ctx, path, allow_unsealed=allow_unsealed)
    assert result.totals == preview.totals or result.already_imported or preview.already_imported
    check_limits(ctx.conn)
    return result


# --- byte-level mutations -------------------------------------------------------------------------------

MUTATION = st.lists(
    st.tuples(
        st.sampled_from(["flip", "cut", "insert", "delete", "overwrite"]),
        st.floats(0, 1, allow_nan=False),
        st.binary(min_size=1, max_size=16),
    ),
    min_size=1,
    max_size=4,
)


def mutate(data: bytes, ops) -> bytes:
    out = bytearray(data)
    for kind, where, junk in ops:
        i = min(int(where * len(out)), max(len(out) - 1, 0))
        if kind == "flip" and out:
            out[i] ^= junk[0] or 1
        elif kind == "cut":
            del out[i:]
        elif kind == "insert":
            out[i:i] = junk
        elif kind == "delete":
            del out[i : i + len(junk)]
        else:
            out[i : i + len(junk)] = junk
    return bytes(out)


@HOSTILE
@given(ops=MUTATION)
def test_mutated_sealed_bundles_are_refused(world, town, ops):
    ctx, db_file = town
    original = world.sealed.read_bytes()
    data = mutate(original, ops)
    if data == original:
        return
    result = attempt(ctx, world.file(data, ".dudu"), db_file, allow_unsealed=True)
    assert result is None  # authenticated encryption: no change gets through


@HOSTILE
@given(ops=MUTATION)
def test_mutated_plain_bundles_are_refused_or_harmless(world, town, ops):
    ctx, db_file = town
    attempt(ctx, world.file(mutate(world.plain.read_bytes(), ops), ".zip"), db_file, allow_unsealed=True)


# --- bad content inside a well-formed, checksummed (and signed) bundle ----------------------------------


def rebuild(members: dict[str, bytes], *, fix_counts: bool = True) -> bytes:
    """Zip the members with a descriptor whose sizes, hashes (and row counts) match them."""
    members = dict(members)
    try:
        descriptor = json.loads(members[fmt.DESCRIPTOR])
        for res in descriptor.get("resources", []):
            data = members.get(res.get("path"))
            if isinstance(data, bytes):
                res["bytes"] = len(data)
                res["hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
                if fix_counts:
                    try:
                        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
                        descriptor["dudu"]["row_counts"][res["path"][:-4]] = max(len(rows) - 1, 0)
                    except (UnicodeDecodeError, csv.Error, KeyError, TypeError):
                        pass
        members[fmt.DESCRIPTOR] = json.dumps(descriptor, ensure_ascii=False).encode("utf-8")
    except (ValueError, AttributeError, TypeError):
        pass
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


TABLES = [
    "hotline_calls",
    "disputes",
    "dispute_parties",
    "people",
    "trainings",
    "training_attendance",
    "publicity_materials",
    "audit_log",
    "villages",
]
CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "NULL",
            "-1",
            "0",
            "99999999999999999999",
            "1e309",
            "nan",
            "2024-13-45",
            "\x00",
            "=cmd|' /C calc'!A0",
            "@SUM(1)",
            "+1",
            "\r\n",
            '"',
            "500243104202",
            "已结案",
            "红",
        ]
    ),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["长", "x", "\u202e", "\n"]), st.integers(150, 30_000)),
)
EDIT = st.one_of(
    st.tuples(st.just("cell"), st.sampled_from(TABLES), st.integers(0, 50), st.integers(0, 60), CELL),
    st.tuples(
        st.just("raw"),
        st.sampled_from(TABLES),
        st.floats(0, 1, allow_nan=False),
        st.one_of(st.binary(max_size=40), st.text(max_size=20).map(lambda s: s.encode("utf-8"))),
    ),
    st.tuples(
        st.just("column"),
        st.sampled_from(TABLES),
        st.sampled_from(["add", "drop", "rename", "dup"]),
        st.integers(0, 40),
        st.text(min_size=1, max_size=12),
    ),
    st.tuples(
        st.just("rows"),
        st.sampled_from(TABLES),
        st.sampled_from(["duplicate", "drop", "short", "long"]),
        st.integers(0, 50),
        st.none(),
    ),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
DESCRIPTOR_EDIT = st.tuples(
    st.sampled_from(
        [
            "format_version",
            "schema_version",
            "village_code",
            "sequence",
            "from_seq",
            "to_seq",
            "full",
            "period",
            "row_counts",
            "created_at",
            "township_code",
            "resources",
            "profile",
            "dudu",
        ]
    ),
    JSON_VALUE,
)


def _table_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def _encode(rows) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8")


def apply_edit(members: dict[str, bytes], edit) -> None:
    kind, table = edit[0], edit[1]
    name = f"{table}.csv"
    if kind == "raw":
        data = members[name]
        i = int(edit[2] * len(data))
        members[name] = data[:i] + edit[3] + data[i:]
        return
    try:
        rows = _table_rows(members[name])
    except (UnicodeDecodeError, csv.Error):
        return  # an earlier raw edit broke it already
    if not rows or not rows[0]:
        return
    header, body = rows[0], rows[1:]
    if kind == "cell":
        if body and body[edit[2] % len(body)]:
            r = body[edit[2] % len(body)]
            r[edit[3] % len(r)] = edit[4]
    elif kind == "column":
        op, i, text = edit[2], edit[3] % len(header), edit[4]
        if op == "add":
            header.append(text)
            for r in body:
                r.append(text)
        elif op == "drop":
            for r in (header, *body):
                if i < len(r):
                    del r[i]
        elif op == "rename":
            header[i] = text
        else:
            header.append(header[i])
            for r in body:
                r.append(r[i] if i < len(r) else "")
    elif kind == "rows" and body:
        op, i = edit[2], edit[3] % len(body)
        if op == "duplicate":
            body.append(list(body[i]))
        elif op == "drop":
            del body[i]
        elif op == "short":
            body[i] = body[i][:-1]
        else:
            body[i] = body[i] + ["extra"]
    members[name] = _encode([header, *body])


@HOSTILE
@given(edits=st.lists(EDIT, min_size=1, max_size=3), sealed=st.booleans(), fix_counts=st.booleans())
def test_malformed_tables_inside_a_checksummed_bundle(world, town, edits, sealed, fix_counts):
    ctx, db_file = town
    members = dict(world.members)
    for edit in edits:
        apply_edit(members, edit)
    plain = rebuild(members, fix_counts=fix_counts)
    path = world.file(world.seal(plain) if sealed else plain, ".dudu" if sealed else ".zip")
    result = attempt(ctx, path, db_file, allow_unsealed=not sealed)
    if result is not None:
        assert result.sealed == sealed


@HOSTILE
@given(edit=DESCRIPTOR_EDIT, sealed=st.booleans())
def test_malformed_descriptor_inside_a_checksummed_bundle(world, town, edit, sealed):
    ctx, db_file = town
    members = dict(world.members)
    descriptor = json.loads(members[fmt.DESCRIPTOR])
    key, value = edit
    if key in ("resources", "profile", "dudu"):
        descriptor[key] = value
    else:
        descriptor["dudu"][key] = value
    members[fmt.DESCRIPTOR] = json.dumps(descriptor, ensure_ascii=False).encode("utf-8")
    plain = rebuild(members, fix_counts=False)
    path = world.file(world.seal(plain) if sealed else plain, ".dudu" if sealed else ".zip")
    attempt(ctx, path, db_file, allow_unsealed=not sealed)


@HOSTILE
@given(
    junk=st.one_of(st.binary(max_size=200), st.text(max_size=100).map(lambda s: s.encode("utf-8"))),
    sealed=st.booleans(),
)
def test_a_descriptor_that_is_not_json(world, town, junk, sealed):
    ctx, db_file = town
    members = dict(world.members)
    members[fmt.DESCRIPTOR] = junk
    plain = rebuild(members)
    path = world.file(world.seal(plain) if sealed else plain, ".dudu" if sealed else ".zip")
    assert attempt(ctx, path, db_file, allow_unsealed=not sealed) is None


# --- examples: oversized cells, bombs, names outside the folder, huge files -----------------------------


def test_an_oversized_cell_is_rejected_row_by_row_not_stored(world, town):
    ctx, db_file = town
    members = dict(world.members)
    rows = _table_rows(members["hotline_calls.csv"])
    col = rows[0].index("question")
    rows[1][col] = "长" * (F.MAX_LONGTEXT + 1)
    members["hotline_calls.csv"] = _encode(rows)
    result = attempt(ctx, world.file(world.seal(rebuild(members)), ".dudu"), db_file, allow_unsealed=False)
    assert result is not None and result.applied
    assert result.counts["hotline_calls"]["invalid"] == 1
    assert any(p.column == "question" and p.row == 2 for p in result.problems)
    stored = ctx.conn.execute("SELECT max(length(question)) FROM hotline_calls").fetchone()[0]
    assert stored <= F.MAX_LONGTEXT
    # the formula-like question came in as plain text (it is data; exports neutralise it)
    assert ctx.conn.execute("SELECT count(*) FROM hotline_calls WHERE question LIKE '=HYPERLINK%'").fetchone()[0] == 1


def _zip(entries) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("case", ["bomb", "traversal", "absolute", "backslash", "unexpected member"])
@pytest.mark.parametrize("sealed", [True, False])
def test_bombs_and_names_outside_the_folder_are_refused(world, town, case, sealed):
    ctx, db_file = town
    entries = list(world.members.items())
    if case == "bomb":
        entries = [(n, b"0" * (40 * 1024 * 1024) if n == "people.csv" else d) for n, d in entries]
    else:
        name = {
            "traversal": "../../escaped.csv",
            "absolute": "/tmp/escaped.csv",
            "backslash": "..\\escaped.csv",
            "unexpected member": "run_me.exe",
        }[case]
        entries.append((name, b"id\r\n"))
    plain = _zip(entries)
    path = world.file(world.seal(plain) if sealed else plain, ".dudu" if sealed else ".zip")
    assert attempt(ctx, path, db_file, allow_unsealed=not sealed) is None
    assert not (world.root.parent / "escaped.csv").exists() and not Path("/tmp/escaped.csv").exists()


def test_a_sealed_file_larger_than_the_limit_is_refused_before_reading(world, town, monkeypatch):
    ctx, db_file = town
    monkeypatch.setattr(seal, "MAX_SEALED_BYTES", 1000)
    assert attempt(ctx, world.sealed, db_file, allow_unsealed=False) is None
