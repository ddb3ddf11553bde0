"""USB bundles: village export → township import, idempotence, order independence, refusals
that leave the township file byte-for-byte unchanged, conflicts, incremental exports."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import time
import zipfile
from pathlib import Path

import pytest

from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import demo, disputes, hotline, records, site, stats
from dudu_desktop.services.context import Context
from dudu_desktop.storage.db import open_database
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync import bundle as fmt
from dudu_desktop.sync import export as _export
from dudu_desktop.sync import merge as _merge
from dudu_desktop.sync.export import default_period
from dudu_desktop.sync.merge import conflicts, resolve_conflict
from dudu_desktop.sync.overview import reporting_matrix
from tests.conftest import NOW, TOWNSHIP_CODE

VILLAGES = (("500243104201", "都督村"), ("500243104202", "桐木村"), ("500243104203", "红岩村"))
TODAY = NOW.date()


# These tests are about the bundle format and the merge rules, on plain (unsealed) bundles as an
# administrator may exchange them; sealing is tested in tests/test_seal.py.
def export_bundle(ctx, out, **kw):
    return _export.export_bundle(ctx, out, unsealed=True, **kw)


def preview_bundle(ctx, path, **kw):
    return _merge.preview_bundle(ctx, path, allow_unsealed=True, **kw)


def apply_bundle(ctx, path, **kw):
    return _merge.apply_bundle(ctx, path, allow_unsealed=True, **kw)


def village_ctx(path: Path, code: str, name: str, clock_at=NOW) -> Context:
    ctx = Context(conn=open_database(path), user="cadre", clock=lambda: clock_at)
    site.init_site(ctx, role="village", code=code, name=name, township_code=TOWNSHIP_CODE, township_name="都督乡")
    return ctx


def township(path: Path, codes=VILLAGES) -> Context:
    ctx = Context(conn=open_database(path), user="township", clock=lambda: NOW)
    site.init_site(ctx, role="township", code=TOWNSHIP_CODE, name="都督乡")
    for code, name in codes:
        site.save_village(ctx, code, name)
    return ctx


def dump(conn) -> dict:
    """The register tables as the user sees them (the local change_seq set aside)."""
    out = {}
    for table in RECORD_TABLES:
        rows = [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")]
        for r in rows:
            r.pop("change_seq")
        out[table] = rows
    return out


def file_hash(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def closed_hash(ctx: Context, path: Path) -> str:
    ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return file_hash(path)


@pytest.fixture
def village(tmp_path):
    ctx = village_ctx(tmp_path / "v1.sqlite3", *VILLAGES[0])
    demo.generate(ctx, year=2024, seed=11)
    yield ctx
    ctx.conn.close()


@pytest.fixture
def town(tmp_path):
    ctx = township(tmp_path / "town.sqlite3")
    yield ctx
    ctx.conn.close()


def test_three_villages_export_and_the_township_totals_are_their_sum(tmp_path, town):
    out = tmp_path / "usb"
    out.mkdir()
    per_village = {}
    paths = []
    for i, (code, name) in enumerate(VILLAGES):
        ctx = village_ctx(tmp_path / f"{code}.sqlite3", code, name)
        demo.generate(ctx, year=2024, seed=100 + i)
        result = export_bundle(ctx, out)
        assert result.path.name == f"{code}_00001_20241220.zip"
        per_village[code] = stats.compute_stats(ctx.conn, year=2024, today=TODAY)
        paths.append(result.path)
        ctx.conn.close()
    for path in paths:
        preview = preview_bundle(town, path)
        assert preview.totals["invalid"] == 0 and preview.totals["new"] > 0
        applied = apply_bundle(town, path)
        assert applied.applied and applied.totals == preview.totals
    for code, figures in per_village.items():
        mine = stats.compute_stats(town.conn, year=2024, village=code, today=TODAY)
        assert {k: v for k, v in mine.items() if k != "period"} == {k: v for k, v in figures.items() if k != "period"}
    total = stats.compute_stats(town.conn, year=2024, today=TODAY)

    def ints(d, prefix=""):
        for k, v in d.items():
            if isinstance(v, dict):
                yield from ints(v, prefix + k + ".")
            elif isinstance(v, int) and not isinstance(v, bool):
                yield prefix + k, v

    summed: dict[str, int] = {}
    for figures in per_village.values():
        for k, v in ints({x: figures[x] for x in ("disputes", "trainings", "hotline", "publicity")}):
            summed[k] = summed.get(k, 0) + v
    assert dict(ints({x: total[x] for x in ("disputes", "trainings", "hotline", "publicity")})) == summed
    assert summed["disputes.total"] > 40
    # the import is recorded for the home page and the overview
    last = site.get_setting(town.conn, "sync.last_import")
    assert last["village"] == VILLAGES[2][0] and last["seq"] == 1
    matrix = {row.code: row for row in reporting_matrix(town.conn, 2024)}
    assert all(matrix[c].months["2024-12"].reported for c, _n in VILLAGES)
    assert not matrix[VILLAGES[0][0]].months["2024-11"].reported


def _changes(ctx: Context, step: int) -> None:
    """A few edits on the village side: new records, an update, a deletion, a follow-up on an old case."""
    rows = ctx.conn.execute("SELECT id FROM hotline_calls WHERE deleted = 0 ORDER BY id LIMIT 3").fetchall()
    hotline.update_call(ctx, rows[step % 3][0], {"answer": f"第{step}次补充答复"})
    records.delete_record(ctx, "hotline_calls", rows[(step + 1) % 3][0], reason="重复登记")
    hotline.create_call(
        ctx,
        {
            "called_at": f"2024-12-1{step} 09:00",
            "channel": "来访",
            "caller_name": "新来访人",
            "category": "劳动",
            "question": f"第{step}批新增咨询",
        },
    )
    open_case = ctx.conn.execute(
        "SELECT id FROM disputes WHERE status = '待调处' AND deleted = 0 ORDER BY id LIMIT 1"
    ).fetchone()
    if open_case:
        disputes.start_mediation(ctx, open_case[0])
    new_id = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-12-0" + str(step),
            "dispute_type": "邻里",
            "summary": f"第{step}批新增纠纷",
            "source": "主动排查",
        },
        [{"name": "甲某", "role": "申请人"}],
    )
    disputes.conclude(ctx, new_id, result="调解成功", agreement_terms="双方和解", concluded_on=f"2024-12-0{step + 1}")
    return new_id


def test_incremental_bundles_reimport_and_any_order_reach_the_same_state(tmp_path, village):
    out = tmp_path / "usb"
    out.mkdir()
    first = export_bundle(village, out)
    case = _changes(village, 1)
    second = export_bundle(village, out)
    disputes.record_followup(
        village, case, {"visited_on": "2024-12-15", "performance": "已履行", "satisfaction": "满意"}
    )
    _changes(village, 2)
    third = export_bundle(village, out)
    assert [b.seq for b in (first, second, third)] == [1, 2, 3]
    assert second.from_seq == first.to_seq and third.from_seq == second.to_seq

    a = township(tmp_path / "a.sqlite3")
    for b in (first, second, third):
        apply_bundle(a, b.path)
    expected = dump(a.conn)
    assert (
        expected
        == {t: [r | {"sync_base_version": r["version"]} for r in rows] for t, rows in dump(village.conn).items()} | {}
    )  # same rows as the village
    path_a = tmp_path / "a.sqlite3"
    before = closed_hash(a, path_a)
    for b in (third, first, second):  # the same bundles again: nothing changes
        again = apply_bundle(a, b.path)
        assert again.already_imported and not again.applied
    assert closed_hash(a, path_a) == before

    for order in ((third, second, first), (second, third, first), (first, third, second)):
        name = "".join(str(b.seq) for b in order)
        other = township(tmp_path / f"o{name}.sqlite3")
        results = [apply_bundle(other, b.path) for b in order]
        assert dump(other.conn) == expected, name
        assert other.conn.execute("SELECT count(*) FROM sync_pending").fetchone()[0] == 0
        if order[0] is third:  # the follow-up came before its dispute: kept aside, then applied
            assert results[0].totals["invalid"] >= 1
            assert results[0].gaps == [1, 2]
        other.conn.close()
    a.conn.close()


def test_incremental_export_holds_exactly_the_changed_rows_and_tombstones(tmp_path, village):
    out = tmp_path / "usb"
    out.mkdir()
    export_bundle(village, out)
    call_id = village.conn.execute("SELECT id FROM hotline_calls ORDER BY id LIMIT 1").fetchone()[0]
    gone_id = village.conn.execute("SELECT id FROM hotline_calls ORDER BY id DESC LIMIT 1").fetchone()[0]
    hotline.update_call(village, call_id, {"answer": "更新后的答复"})
    records.delete_record(village, "hotline_calls", gone_id, reason="录错")
    new_id = hotline.create_call(
        village,
        {
            "called_at": "2024-12-19 10:00",
            "channel": "电话",
            "anonymous": True,
            "category": "其他",
            "question": "新问题",
        },
    )
    result = export_bundle(village, out)
    assert result.counts["hotline_calls"] == 3 and result.rows == 3
    with zipfile.ZipFile(result.path) as zf:
        names = set(zf.namelist())
        descriptor = json.loads(zf.read("datapackage.json"))
        headers, rows = fmt.decode_csv(zf.read("hotline_calls.csv"), "hotline_calls.csv")
        audit_headers, audit_rows = fmt.decode_csv(zf.read("audit_log.csv"), "audit_log.csv")
        assert zf.read("disputes.csv").count(b"\r\n") == 1  # header only
    assert names == set(fmt.MEMBER_NAMES)
    by_id = {r[headers.index("id")]: dict(zip(headers, r)) for r in rows}
    assert set(by_id) == {call_id, gone_id, new_id}
    assert by_id[gone_id]["deleted"] == "1" and by_id[call_id]["answer"] == "更新后的答复"
    assert "sync_base_version" not in headers
    assert {r[audit_headers.index("record_id")] for r in audit_rows} == {call_id, gone_id, new_id}
    meta = descriptor["dudu"]
    assert descriptor["profile"] == "tabular-data-package"
    assert meta["sequence"] == 2 and meta["full"] is False and meta["row_counts"]["hotline_calls"] == 3
    res = next(r for r in descriptor["resources"] if r["path"] == "hotline_calls.csv")
    assert res["hash"].startswith("sha256:") and {"name": "version", "type": "integer"} in res["schema"]["fields"]
    last = site.get_setting(village.conn, "sync.last_export")
    assert last["seq"] == 2 and last["rows"] == 3 and last["path"] == str(result.path)
    # nothing changed since: a zero report still produces a bundle
    empty = export_bundle(village, out)
    assert empty.rows == 0 and empty.path.exists() and empty.seq == 3
    full = export_bundle(village, out, full=True)
    assert (
        full.from_seq == 0
        and full.counts["hotline_calls"] == village.conn.execute("SELECT count(*) FROM hotline_calls").fetchone()[0]
    )


def test_export_cost_uses_the_change_index(village):
    plan = village.conn.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM disputes WHERE change_seq > ? AND change_seq <= ?", (1, 2)
    ).fetchall()
    assert "disputes_change" in " ".join(str(tuple(r)) for r in plan)


def test_default_period():
    assert default_period(dt.date(2024, 6, 3)) == "2024-05"
    assert default_period(dt.date(2024, 1, 10)) == "2023-12"
    assert default_period(dt.date(2024, 6, 11)) == "2024-06"


# --- refusals -----------------------------------------------------------------------------------------


def _rezip(src: Path, dst: Path, edit) -> Path:
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members = edit(members) or members
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)
    dst.write_bytes(buf.getvalue())
    return dst


def _descriptor(members: dict, change) -> None:
    d = json.loads(members["datapackage.json"])
    change(d)
    members["datapackage.json"] = json.dumps(d, ensure_ascii=False).encode()


def _flip(path: Path, dst: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    dst.write_bytes(bytes(data))
    return dst


def _tampered_csv(members):
    members["hotline_calls.csv"] = members["hotline_calls.csv"].replace("电话".encode(), "来访".encode(), 1)


def _newer(members):
    _descriptor(members, lambda d: d["dudu"].update(schema_version=d["dudu"]["schema_version"] + 1))


def _lying_count(members):
    _descriptor(members, lambda d: d["dudu"]["row_counts"].update(disputes=d["dudu"]["row_counts"]["disputes"] + 1))


def _extra_file(members):
    members["readme.txt"] = b"hello"


def _unlisted_file(members):
    _descriptor(members, lambda d: d.update(resources=[r for r in d["resources"] if r["path"] != "people.csv"]))


def _traversal(members):
    members["../evil.csv"] = b"x"


def _other_format(members):
    _descriptor(members, lambda d: d["dudu"].update(format_version=99))


def _other_township(members):
    _descriptor(members, lambda d: d["dudu"].update(township_code="500243105000"))


CASES = {
    "flipped byte": lambda src, dst: _flip(src, dst),
    "truncated": lambda src, dst: (dst.write_bytes(src.read_bytes()[: src.stat().st_size * 2 // 3]), dst)[1],
    "../ names": lambda src, dst: _rezip(src, dst, _traversal),
    "tampered csv": lambda src, dst: _rezip(src, dst, _tampered_csv),
    "newer schema": lambda src, dst: _rezip(src, dst, _newer),
    "unknown format": lambda src, dst: _rezip(src, dst, _other_format),
    "lying row count": lambda src, dst: _rezip(src, dst, _lying_count),
    "extra file": lambda src, dst: _rezip(src, dst, _extra_file),
    "file not described": lambda src, dst: _rezip(src, dst, _unlisted_file),
    "other township": lambda src, dst: _rezip(src, dst, _other_township),
    "not a zip": lambda src, dst: (dst.write_text("名称,日期\n", encoding="utf-8"), dst)[1],
}


@pytest.mark.parametrize("case", [*CASES, "unknown village"])
def test_bad_bundles_are_refused_and_the_township_file_is_unchanged(tmp_path, village, case):
    out = tmp_path / "usb"
    out.mkdir()
    good = export_bundle(village, out).path
    path = tmp_path / "town.sqlite3"
    codes = VILLAGES[1:] if case == "unknown village" else VILLAGES
    town = township(path, codes)
    bad = good if case == "unknown village" else CASES[case](good, tmp_path / f"bad-{len(case)}.zip")
    town.conn.close()
    before = file_hash(path)
    town = Context(conn=open_database(path), user="township", clock=lambda: NOW)
    with pytest.raises(Refused) as preview_refusal:
        preview_bundle(town, bad)
    with pytest.raises(Refused) as apply_refusal:
        apply_bundle(town, bad)
    message = str(apply_refusal.value)
    assert message == str(preview_refusal.value)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message  # a Chinese message
    town.conn.close()
    assert file_hash(path) == before
    assert not (tmp_path / "backups").exists()


def test_a_wrong_village_code_inside_rows_is_rejected_row_by_row(tmp_path, village, town):
    out = tmp_path / "usb"
    out.mkdir()
    good = export_bundle(village, out).path

    def edit(members):
        data = members["hotline_calls.csv"].decode()
        lines = data.split("\r\n")
        lines[1] = lines[1].replace(VILLAGES[0][0], VILLAGES[1][0], 1)
        members["hotline_calls.csv"] = "\r\n".join(lines).encode()
        _descriptor(
            members,
            lambda d: [
                r.update(
                    bytes=len(members["hotline_calls.csv"]),
                    hash="sha256:" + hashlib.sha256(members["hotline_calls.csv"]).hexdigest(),
                )
                for r in d["resources"]
                if r["path"] == "hotline_calls.csv"
            ],
        )

    bad = _rezip(good, tmp_path / "edited.zip", edit)
    result = apply_bundle(town, bad)
    assert result.counts["hotline_calls"]["invalid"] == 1
    problem = next(p for p in result.problems if p.table == "hotline_calls")
    assert problem.row == 2 and problem.column == "village_code"
    assert result.counts["disputes"]["new"] > 0  # the rest still went in


# --- conflicts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("keep", ["local", "incoming"])
def test_a_record_changed_on_both_sides_is_a_conflict_resolved_either_way(tmp_path, village, town, keep):
    out = tmp_path / "usb"
    out.mkdir()
    apply_bundle(town, export_bundle(village, out).path)
    call_id = village.conn.execute("SELECT id FROM hotline_calls WHERE deleted = 0 ORDER BY id LIMIT 1").fetchone()[0]
    hotline.update_call(village, call_id, {"answer": "村里的答复"})
    town_ctx = Context(conn=town.conn, user="township", clock=lambda: NOW)
    hotline.update_call(town_ctx, call_id, {"answer": "乡里的答复"})
    second = export_bundle(village, out).path
    preview = preview_bundle(town, second)
    assert preview.counts["hotline_calls"]["conflicting"] == 1
    result = apply_bundle(town, second)
    assert result.counts["hotline_calls"]["conflicting"] == 1
    assert hotline.get_call(town.conn, call_id)["answer"] == "乡里的答复"  # not overwritten
    [conflict] = conflicts(town.conn)
    assert conflict["local_row"]["answer"] == "乡里的答复" and conflict["incoming_row"]["answer"] == "村里的答复"
    after = resolve_conflict(town, conflict["id"], keep)
    assert after["answer"] == ("乡里的答复" if keep == "local" else "村里的答复")
    assert conflicts(town.conn) == []
    assert (
        town.conn.execute(
            "SELECT count(*) FROM audit_log WHERE action = 'resolve_conflict' AND record_id = ?", (call_id,)
        ).fetchone()[0]
        == 1
    )
    with pytest.raises(Refused):
        resolve_conflict(town, conflict["id"], keep)
    # the village edits again: a local copy kept stays protected, an accepted one simply updates
    hotline.update_call(village, call_id, {"answer": "村里的第三次答复"})
    third = apply_bundle(town, export_bundle(village, out).path)
    if keep == "local":
        assert third.counts["hotline_calls"]["conflicting"] == 1
    else:
        assert third.counts["hotline_calls"]["updated"] == 1
        assert hotline.get_call(town.conn, call_id)["answer"] == "村里的第三次答复"


def test_only_the_township_imports_and_only_villages_export(tmp_path, village, town):
    with pytest.raises(Refused):
        export_bundle(town, tmp_path)
    out = tmp_path / "usb"
    out.mkdir()
    path = export_bundle(village, out).path
    with pytest.raises(Refused):
        preview_bundle(village, path)


def test_stale_partials_are_cleaned_and_no_partial_is_left(tmp_path, village):
    out = tmp_path / "usb"
    out.mkdir()
    stale = out / f".{VILLAGES[0][0]}_00001_20241201.zip.abc123.partial"
    stale.write_bytes(b"half")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    # a fresh one may be another program's bundle being written right now (issue 11, item 17)
    fresh = out / f".{VILLAGES[0][0]}_00002_20241201.zip.def456.partial"
    fresh.write_bytes(b"being written")
    other = out / ".notes.partial"
    other.write_bytes(b"not ours")
    os.utime(other, (old, old))
    export_bundle(village, out)
    assert not stale.exists() and other.exists() and fresh.exists()
    assert [p.name for p in out.iterdir() if p.suffix == ".zip"] == [f"{VILLAGES[0][0]}_00001_20241220.zip"]


def test_zero_report_and_gaps_in_the_overview(tmp_path, town):
    out = tmp_path / "usb"
    out.mkdir()
    code, name = VILLAGES[1]
    ctx = village_ctx(tmp_path / "quiet.sqlite3", code, name, clock_at=dt.datetime(2024, 12, 5, 9, 0))
    first = export_bundle(ctx, out)  # nothing recorded: a zero report for November
    assert first.period == "2024-11" and first.rows == 0
    export_bundle(ctx, out)
    third = export_bundle(ctx, out, period="2024-12")
    apply_bundle(town, first.path)
    result = apply_bundle(town, third.path)
    assert result.gaps == [2]
    [row] = [r for r in reporting_matrix(town.conn, 2024) if r.code == code]
    assert row.months["2024-11"].reported and row.months["2024-11"].zero_report
    assert row.months["2024-12"].reported and not row.months["2024-10"].reported
    assert row.gaps == [2] and row.last_bundle["seq"] == 3
    ctx.conn.close()


def test_cli_export_and_import(tmp_path, village, capsys):
    from dudu_desktop.cli import main

    village_path = village.conn.execute("PRAGMA database_list").fetchone()[2]
    village.conn.close()
    out = tmp_path / "usb"
    out.mkdir()
    assert main(["--db", village_path, "export", "--out", str(out), "--unsealed"]) == 0
    bundle = Path(capsys.readouterr().out.strip())
    assert bundle.exists() and bundle.parent == out
    town_path = tmp_path / "t.sqlite3"
    township(town_path).conn.close()
    assert main(["--db", str(town_path), "import", str(bundle), "--dry-run", "--json", "--allow-unsealed"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["applied"] is False
    bad = _flip(bundle, tmp_path / "bad.zip")
    assert main(["--db", str(town_path), "import", str(bundle), str(bad), "--allow-unsealed"]) == 1
    captured = capsys.readouterr()
    assert "新增" in captured.out and "未执行" in captured.err
