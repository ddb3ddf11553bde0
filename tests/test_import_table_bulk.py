"""Issue 14: a spreadsheet goes in like a bundle — checked with the services' own rules, written in
bulk in one transaction, one audit entry per batch listing the records it created with a digest of
each row (so ``check`` still covers every record), search indexes and follow-ups due kept in bulk,
a re-run a no-op, a progress callback."""

from __future__ import annotations

import csv
import json

import pytest

from dudu_desktop.cli import main
from dudu_desktop.services import disputes, hotline, publicity, trainings
from dudu_desktop.storage import search
from dudu_desktop.sync import tables
from dudu_desktop.sync.tables import COLUMNS, import_table
from tests.conftest import make_context

DISPUTES = [  # (row as the template's columns), a few with problems
    [
        "2024-05-01",
        "张三、李四",
        "邻里",
        "因房屋滴水问题发生争吵",
        "主动排查",
        "蓝",
        "已办结",
        "调解成功",
        "冉光明",
        "2024-05-03",
        "人民调解",
        "1409.50",
        "",
        "",
    ],
    [
        "2024-05-02",
        "王五",
        "合同",
        "排水沟堵塞引发争执",
        "当事人申请",
        "黄",
        "调处中",
        "",
        "谭晓燕",
        "",
        "",
        "",
        "",
        "",
    ],
    ["2024-13-01", "赵六", "邻里", "日期错误", "主动排查", "", "", "", "", "", "", "", "", ""],
    [
        "2024-06-01",
        "钱七、孙八",
        "婚姻家庭",
        "宅基地界桩移位",
        "主动排查",
        "红",
        "已销号",
        "调解成功",
        "冉光明",
        "2024-06-05",
        "",
        "",
        "2024-06-20",
        "已回访",
    ],
    ["2024-06-02", "周九", "吵架", "类型不对", "主动排查", "", "", "", "", "", "", "", "", ""],
    ["2024-07-01", "吴十", "邻里", "邻居占道堆放柴草", "主动排查", "", "", "", "", "", "", "", "", ""],
    [
        "2024-05-02",
        "王五",
        "合同",
        "排水沟堵塞引发争执",
        "当事人申请",
        "黄",
        "调处中",
        "",
        "谭晓燕",
        "",
        "",
        "",
        "",
        "",
    ],
]


def write_csv(path, register: str, rows: list[list[str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([c.header for c in COLUMNS[register]])
        w.writerows(rows)


def test_cli_import_table_is_one_audit_entry_per_batch_and_check_stays_clean(
    ctx, db_path, tmp_path, capsys, monkeypatch
):
    path = tmp_path / "d.csv"
    write_csv(path, "disputes", DISPUTES)
    monkeypatch.setattr(tables, "IMPORT_BATCH", 2)
    before = ctx.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    assert main(["--db", str(db_path), "import-table", "--register", "disputes", str(path), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert (r["imported"], r["skipped"], r["duplicates"]) == (4, 2, 1)
    assert {(p["row"], p["column"]) for p in r["problems"]} == {(4, "登记日期"), (6, "纠纷类型")}

    entries = ctx.conn.execute(
        "SELECT seq, action, table_name, changes FROM audit_log WHERE seq > ? ORDER BY seq", (before,)
    ).fetchall()
    batches = [e for e in entries if e["action"] == "import_table"]
    # spreadsheet rows 2-3, 4-5, 6-7 each made records (row 8 repeats row 3): one entry per batch of rows,
    # not one per record (4 disputes and 6 parties)
    assert len(batches) == 3 and len(entries) <= len(batches) + 2
    created = {}
    for e in batches:
        changes = json.loads(e["changes"])
        assert changes["register"] == "disputes" and changes["file"] == "d.csv"
        for table, ids in changes["created"].items():
            created.setdefault(table, []).extend(ids)
        digests = dict(
            ctx.conn.execute("SELECT record_id, digest FROM audit_rows WHERE seq = ?", (e["seq"],)).fetchall()
        )
        assert set(digests) == {i for ids in changes["created"].values() for i in ids}
        assert changes["_rows"]["n"] == len(digests)
    assert sorted(created["disputes"]) == sorted(r["ids"])
    assert len(created["dispute_parties"]) == 6
    rows = ctx.conn.execute(
        "SELECT id, change_seq FROM disputes UNION ALL SELECT id, change_seq FROM dispute_parties"
    ).fetchall()
    assert {i for i, _s in rows} == set(created["disputes"]) | set(created["dispute_parties"])
    assert {s for _i, s in rows} == {e["seq"] for e in batches}

    assert main(["--db", str(db_path), "check"]) == 0, capsys.readouterr().err  # every row has its digest
    capsys.readouterr()
    # a re-run changes nothing: no record, no audit entry
    seq = ctx.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    assert main(["--db", str(db_path), "import-table", "--register", "disputes", str(path), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert (again["imported"], again["duplicates"]) == (0, 5)
    assert (
        ctx.conn.execute("SELECT count(*) FROM audit_log WHERE seq > ? AND action = 'import_table'", (seq,)).fetchone()[
            0
        ]
        == 0
    )
    # an edit of an imported row outside the program is seen
    ctx.conn.execute("UPDATE disputes SET summary = '改过' WHERE id = ?", (r["ids"][0],))
    ctx.conn.commit()
    assert main(["--db", str(db_path), "check"]) == 1
    assert "改过" not in capsys.readouterr().err


def test_bulk_rows_are_searchable_and_followups_due_are_kept(ctx, tmp_path):
    path = tmp_path / "d.csv"
    write_csv(path, "disputes", DISPUTES)
    result = import_table(ctx, "disputes", path)
    conn = ctx.conn
    assert conn.execute("SELECT count(*) FROM _bulk_load").fetchone()[0] == 0
    for word in ("邻居", "排水沟", "排水沟堵塞", "宅基地界桩", "钱七", "滴水", "王"):
        sql_i, args_i = search.search_clause("disputes", word, use_index=True)
        sql_l, args_l = search.search_clause("disputes", word, use_index=False)
        by_index = {r[0] for r in conn.execute(f"SELECT id FROM disputes WHERE {sql_i}", args_i)}
        by_like = {r[0] for r in conn.execute(f"SELECT id FROM disputes WHERE {sql_l}", args_l)}
        assert by_index == by_like and by_index, word
    due = {r[0] for r in conn.execute("SELECT dispute_id FROM dispute_followup_due")}
    concluded = {
        r[0] for r in conn.execute("SELECT id FROM disputes WHERE status IN ('已办结') AND result = '调解成功'")
    }
    assert concluded and concluded <= due and due <= set(result.ids)


SAMPLES = {
    "disputes": DISPUTES[:2] + [DISPUTES[3], DISPUTES[5]],
    "trainings": [
        ["2024-03-01", "民法典学习", "专题学习", "彭所长", "会议室", "5", "3", "2", "2", ""],
        ["2024-04-01", "禁毒知识", "以案说法", "", "", "", "", "", "", "备注"],
    ],
    "hotline": [
        [
            "2024-05-06 09:30",
            "电话",
            "张三",
            "劳动",
            "被拖欠工资怎么办？",
            "已告知维权途径",
            "满意",
            "13800138000",
            "",
            "冉光明",
        ],
        ["2024-05-07", "来访", "匿名", "婚姻家庭", "离婚财产如何分割", "", "", "", "", ""],
    ],
    "publicity": [
        ["2024-05-06", "民法典进农家", "赶集日咨询台", "赶集场", "120", "200", "宣传册", "司法所", ""],
        ["2024-06-06", "防范电信诈骗", "讲座", "村委会", "40", "", "", "", ""],
    ],
}
CHILD = {
    "disputes": ("dispute_parties", "dispute_id"),
    "trainings": ("training_attendance", "training_id"),
    "publicity": ("publicity_materials", "event_id"),
}
MAIN = {"disputes": "disputes", "trainings": "trainings", "hotline": "hotline_calls", "publicity": "publicity_events"}
BOOKKEEPING = {"id", "created_at", "updated_at", "version", "change_seq", "sync_base_version", "sync_base_epoch"}


def _content(conn, register: str) -> list:
    """Every created row by content (ids, stamps and versions left out), children with their parent's."""
    table = MAIN[register]
    out = []
    for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid"):
        item = {k: row[k] for k in row.keys() if k not in BOOKKEEPING}
        if register in CHILD:
            child, parent = CHILD[register]
            item["children"] = [
                {k: c[k] for k in c.keys() if k not in BOOKKEEPING | {parent}}
                for c in conn.execute(f"SELECT * FROM {child} WHERE {parent} = ? ORDER BY rowid", (row["id"],))
            ]
        out.append(item)
    return out


@pytest.mark.parametrize("register", list(SAMPLES))
def test_bulk_import_creates_what_the_services_create(ctx, tmp_path, register, monkeypatch):
    """The same rows as the per-record services make (the former import path), field for field."""
    path = tmp_path / f"{register}.csv"
    write_csv(path, register, SAMPLES[register])
    result = import_table(ctx, register, path)
    assert result.imported == len(SAMPLES[register]) and not result.problems
    other = make_context(tmp_path / "services.sqlite3")
    # spreadsheets carry cases concluded before the rule that 调解成功 needs its terms (validate.agreement_problems)
    monkeypatch.setattr(disputes, "agreement_problems", lambda values: [])
    cols = COLUMNS[register]
    for cells in SAMPLES[register]:
        data, issues = tables._row_data(register, cols, {c.key: v for c, v in zip(cols, cells)}, 2)
        assert not issues
        _create_with_services(other, register, data)
    assert _content(ctx.conn, register) == _content(other.conn, register)
    other.conn.close()


def _create_with_services(ctx, register: str, data: dict) -> str:
    """What ``tables._create`` did before issue 14: one service call per row."""
    from dudu_desktop.domain import vocab

    if register == "disputes":
        d = {k: v for k, v in data.items() if k not in ("parties", "amount") and v not in (None, "")}
        status = d.get("status") or (vocab.DisputeStatus.CONCLUDED if d.get("result") else vocab.DisputeStatus.PENDING)
        closed_out = status == vocab.DisputeStatus.CLOSED_OUT
        d["status"] = vocab.DisputeStatus.CONCLUDED if closed_out else status
        if d.get("result") == vocab.DisputeResult.SUCCESS:
            d["agreement"] = 1
            if data.get("amount"):
                d["amount_cents"] = data["amount"]
        closed_on = d.pop("closed_out_on", None)
        dispute_id = disputes.create_dispute(ctx, d, data["parties"])
        if closed_out:
            disputes.close_out(ctx, dispute_id, closed_out_on=closed_on or d.get("concluded_on"))
        return dispute_id
    if register == "trainings":
        att, takers, passed = (data.get(k) or 0 for k in ("attended", "exam_takers", "exam_passed"))
        d = {
            k: v for k, v in data.items() if k not in ("attended", "exam_takers", "exam_passed") and v not in (None, "")
        }
        d["exam_held"] = 1 if takers else 0
        roster = [
            {
                "name": f"参加人员{i + 1}",
                "signed_in": 1,
                "exam_passed": (1 if i < passed else 0) if i < takers else None,
            }
            for i in range(att)
        ]
        return trainings.create_training(ctx, d, roster)
    if register == "hotline":
        d = {k: v for k, v in data.items() if v not in (None, "")}
        if (d.get("caller_name") or "").strip() in ("", "匿名", "不愿透露"):
            d["anonymous"], d["caller_name"] = 1, ""
        return hotline.create_call(ctx, d)
    d = {k: v for k, v in data.items() if k not in ("materials", "material_kind") and v not in (None, "")}
    materials = (
        [{"kind": data.get("material_kind") or "其他", "quantity": data["materials"]}] if data.get("materials") else []
    )
    return publicity.create_event(ctx, d, materials)


def test_progress_is_reported_per_batch_up_to_the_whole_file(ctx, tmp_path, monkeypatch):
    rows = [[f"2024-05-{d:02d}", f"甲{d}、乙{d}", "邻里", f"第{d}件纠纷", "主动排查"] + [""] * 9 for d in range(1, 8)]
    path = tmp_path / "d.csv"
    write_csv(path, "disputes", rows)
    monkeypatch.setattr(tables, "IMPORT_BATCH", 3)
    seen = []
    result = import_table(ctx, "disputes", path, progress=lambda done, total: seen.append((done, total)))
    assert result.imported == 7
    assert seen[-1] == (7, 7) and [d for d, _t in seen] == sorted(d for d, _t in seen) and len(seen) >= 3
    serials = [r[0] for r in ctx.conn.execute("SELECT serial_no FROM disputes ORDER BY serial_no")]
    assert serials == [f"2024-{i:03d}" for i in range(1, 8)]


VALUES = [
    "",
    "  ",
    None,
    "2024-05-01",
    "2024-13-01",
    "1949-01-01",
    "1900-01-01",
    "2030-01-01",
    "邻里",
    "吵架",
    "蓝",
    "已办结",
    "调解成功",
    "12",
    "-3",
    "12345678901234567890",
    "1409.50",
    "abc",
    "13800138000",
    "12",
    "x" * 600,
    "是",
    7,
    1.5,
]


def test_the_remembered_field_rules_give_what_clean_record_gives():
    import datetime as dt
    import random

    from dudu_desktop.domain import fields as F
    from dudu_desktop.domain.validate import clean_record

    cleaner = tables._Cleaner()
    rnd = random.Random(5)
    today = dt.date(2024, 12, 20)
    for spec in (F.DISPUTE, F.PARTY, F.TRAINING, F.ATTENDANCE, F.HOTLINE, F.PUBLICITY, F.MATERIAL):
        for _ in range(150):
            data = {f.key: rnd.choice(VALUES) for f in spec.fields if rnd.random() < 0.7}
            for _twice in range(2):  # the second time from memory
                assert cleaner(spec, data, today=today) == clean_record(spec, data, today=today), (spec.name, data)


def _triggers(conn) -> list:
    return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()


def test_the_insert_triggers_come_back_after_an_import_a_dry_run_and_a_failure(ctx, tmp_path, monkeypatch):
    """The import drops the bulk-guarded AFTER INSERT triggers for its transaction only."""
    conn = ctx.conn
    before = _triggers(conn)
    assert any(name == "disputes_search_ai" for name, _sql in before)
    path = tmp_path / "d.csv"
    write_csv(path, "disputes", DISPUTES)
    monkeypatch.setattr(tables, "SUSPEND_TRIGGERS_AT", 1)  # as for a large file
    suspended = []
    real_suspend = tables.BulkLoad.suspend_insert_triggers
    monkeypatch.setattr(
        tables.BulkLoad, "suspend_insert_triggers", lambda self, t: (suspended.append(list(t)), real_suspend(self, t))
    )
    assert import_table(ctx, "disputes", path, dry_run=True).imported == 4
    assert suspended == [["disputes", "dispute_parties"]]
    assert _triggers(conn) == before and conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 0
    monkeypatch.setattr(tables, "IMPORT_BATCH", 2)
    real = tables._BulkWriter.flush
    calls = []

    def failing(self):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(self)

    monkeypatch.setattr(tables._BulkWriter, "flush", failing)
    with pytest.raises(OSError):
        import_table(ctx, "disputes", path)
    assert _triggers(conn) == before and conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == 0
    monkeypatch.setattr(tables._BulkWriter, "flush", real)
    assert import_table(ctx, "disputes", path).imported == 4
    assert _triggers(conn) == before
    # and the triggers work again for the next record typed in
    new_id = disputes.create_dispute(
        ctx,
        {"registered_on": "2024-12-01", "dispute_type": "邻里", "summary": "鸡鸭啄食菜苗", "source": "主动排查"},
        [{"name": "冯一", "role": "申请人"}],
    )
    sql, args = search.search_clause("disputes", "菜苗", use_index=True)
    assert [r[0] for r in conn.execute(f"SELECT id FROM disputes WHERE {sql}", args)] == [new_id]
