"""The command line contract: names, exit codes, JSON keys; demo figures agree with direct SQL."""

import json
import sqlite3
import subprocess
import sys

import pytest

from dudu_desktop import __version__
from dudu_desktop.cli import main


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "x.sqlite3"
    assert main(["--db", str(path), "demo", "--year", "2024", "--villages", "3", "--seed", "7"]) == 0
    return path


def test_version_runs_as_an_installed_command():
    out = subprocess.run([sys.executable, "-m", "dudu_desktop", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and __version__ in out.stdout


def test_init_village_and_township(tmp_path, capsys):
    db = tmp_path / "v.sqlite3"
    code, out, _ = run(
        capsys,
        "--db",
        db,
        "init",
        "--role",
        "village",
        "--code",
        "500243104201",
        "--name",
        "都督村",
        "--township-code",
        "500243104000",
        "--township-name",
        "都督乡",
    )
    assert code == 0 and "都督村" in out
    code, _, err = run(capsys, "--db", db, "init", "--role", "village", "--code", "500243104202", "--name", "别村")
    assert code == 1 and "已属于都督村" in err
    code, _, err = run(
        capsys, "--db", tmp_path / "t.sqlite3", "init", "--role", "township", "--code", "123", "--name", "都督乡"
    )
    assert code == 1 and "12位" in err


def test_usage_errors_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "x.sqlite3"), "init", "--role", "city", "--code", "1", "--name", "x"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


def test_stats_json_has_the_contract_keys_and_consistent_values(demo_db, capsys):
    code, out, _ = run(capsys, "--db", demo_db, "stats", "--year", "2024", "--json")
    assert code == 0
    s = json.loads(out)
    d, t, h, p = s["disputes"], s["trainings"], s["hotline"], s["publicity"]
    for key in ("total", "open", "closed", "resolved", "failed", "success_rate", "overdue", "by_type", "by_level"):
        assert key in d
    assert set(d["by_level"]) == {"red", "yellow", "blue"}
    for key in ("sessions", "study", "seminars", "attendances", "exam_takers", "exam_passed", "exam_pass_rate"):
        assert key in t
    for key in ("consultations", "calls", "satisfaction_rate"):
        assert key in h
    for key in ("events", "lectures", "campaigns", "audience", "materials"):
        assert key in p
    # the values hang together: every dispute has one type and one level; rates are the ratios
    assert d["total"] > 40 and sum(d["by_level"].values()) == d["total"] == sum(d["by_type"].values())
    assert d["success_rate"] == pytest.approx(d["resolved"] / (d["resolved"] + d["failed"]))
    assert 0 < t["exam_passed"] <= t["exam_takers"] <= t["attendances"]
    assert t["exam_pass_rate"] == pytest.approx(t["exam_passed"] / t["exam_takers"])
    assert t["study"] + t["seminars"] <= t["sessions"] == sum(t["by_type"].values())
    assert 0 < h["calls"] <= h["consultations"] and 0 <= h["satisfaction_rate"] <= 1
    assert p["lectures"] + p["campaigns"] <= p["events"] and p["materials"] > 0 and p["audience"] > 0
    code, out, _ = run(capsys, "--db", demo_db, "stats", "--month", "2024-05", "--village", "500243104201", "--json")
    may = json.loads(out)
    assert code == 0 and may["period"]["village"] == "500243104201"
    assert 0 < may["disputes"]["total"] < d["total"]
    code, _, err = run(capsys, "--db", demo_db, "stats", "--month", "2024-5x", "--json")
    assert code == 1 and "2024-05" in err


def _outside_2024(path) -> None:
    """Records the 2024 figures must leave out: 2023 ones, and voided 2024 ones."""
    from dudu_desktop.services import hotline, publicity, records, trainings
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database

    ctx = Context(conn=open_database(path), user="tester")
    old = trainings.create_training(
        ctx, {"held_on": "2023-11-02", "topic": "去年的培训", "training_type": "研讨"}, [{"name": "甲"}, {"name": "乙"}]
    )
    trainings.sign_in(ctx, old, ["甲", "乙"])
    publicity.create_event(
        ctx,
        {"held_on": "2023-12-01", "theme": "民法典进农家", "form": "讲座", "audience": 500},
        [{"kind": "宣传册", "quantity": 900}],
    )
    voided = publicity.create_event(
        ctx,
        {"held_on": "2024-03-01", "theme": "民法典进农家", "form": "讲座", "audience": 700},
        [{"kind": "宣传册", "quantity": 800}],
    )
    records.delete_record(ctx, "publicity_events", voided, reason="录重了")
    hotline.create_call(
        ctx,
        {
            "called_at": "2023-12-30 09:00",
            "channel": "电话",
            "category": "劳动",
            "anonymous": True,
            "question": "去年的来电",
        },
    )
    ctx.conn.close()


def test_demo_stats_agree_with_direct_sql(demo_db, capsys):
    _outside_2024(demo_db)
    code, out, _ = run(capsys, "--db", demo_db, "stats", "--year", "2024", "--json")
    s = json.loads(out)
    sql = sqlite3.connect(demo_db)
    one = lambda q: sql.execute(q).fetchone()[0] or 0  # noqa: E731
    year = "BETWEEN '2024-01-01' AND '2024-12-31'"
    assert s["disputes"]["total"] == one(f"SELECT count(*) FROM disputes WHERE deleted=0 AND registered_on {year}")
    assert s["disputes"]["total"] > 40
    closed = f"FROM disputes WHERE deleted=0 AND status IN ('已办结','已销号') AND concluded_on {year}"
    resolved, failed = (
        one(f"SELECT count(*) {closed} AND result='调解成功'"),
        one(f"SELECT count(*) {closed} AND result='调解不成'"),
    )
    assert (s["disputes"]["resolved"], s["disputes"]["failed"]) == (resolved, failed)
    assert s["disputes"]["success_rate"] == pytest.approx(resolved / (resolved + failed))
    assert s["disputes"]["by_level"]["red"] == one(
        f"SELECT count(*) FROM disputes WHERE deleted=0 AND level='红' AND registered_on {year}"
    )
    assert s["trainings"]["sessions"] == one(f"SELECT count(*) FROM trainings WHERE deleted=0 AND held_on {year}")
    assert s["trainings"]["attendances"] == one(
        "SELECT sum(a.signed_in) FROM training_attendance a JOIN trainings t ON t.id = a.training_id "
        f"WHERE a.deleted=0 AND t.deleted=0 AND t.held_on {year}"
    )
    assert s["hotline"]["consultations"] == one(
        "SELECT count(*) FROM hotline_calls WHERE deleted=0 AND called_at LIKE '2024-%'"
    )
    assert s["hotline"]["calls"] == one(
        "SELECT count(*) FROM hotline_calls WHERE deleted=0 AND channel='电话' AND called_at LIKE '2024-%'"
    )
    events = f"FROM publicity_events WHERE deleted=0 AND held_on {year}"
    assert s["publicity"]["events"] == one(f"SELECT count(*) {events}")
    assert s["publicity"]["lectures"] == one(f"SELECT count(*) {events} AND form='讲座'")
    assert s["publicity"]["materials"] == one(
        "SELECT sum(m.quantity) FROM publicity_materials m JOIN publicity_events e ON e.id = m.event_id "
        f"WHERE m.deleted=0 AND e.deleted=0 AND e.held_on {year}"
    )
    assert s["publicity"]["audience"] == one(f"SELECT sum(audience) {events}")
    # the records outside the year are in the file (the oracle's filters matter)
    assert one("SELECT count(*) FROM trainings WHERE held_on < '2024-01-01'") == 1
    assert one("SELECT count(*) FROM publicity_events WHERE deleted=1") == 1


def test_demo_is_repeatable(tmp_path, capsys):
    figures = []
    for name in ("a", "b"):
        db = tmp_path / f"{name}.sqlite3"
        assert run(capsys, "--db", db, "demo", "--villages", "2", "--seed", "3")[0] == 0
        code, out, _ = run(capsys, "--db", db, "stats", "--year", "2024", "--json")
        figures.append(json.loads(out))
    assert figures[0] == figures[1]


def test_audit_json_and_check(demo_db, capsys):
    code, out, _ = run(capsys, "--db", demo_db, "audit", "--limit", "5", "--json")
    entries = json.loads(out)
    assert code == 0 and len(entries) == 5 and entries[0]["seq"] > entries[-1]["seq"]
    assert {"at", "user", "action", "record_id", "changes"} <= set(entries[0])
    code, out, _ = run(capsys, "--db", demo_db, "check")
    assert code == 0
    conn = sqlite3.connect(demo_db)
    conn.execute("UPDATE audit_log SET action='forged' WHERE seq=10")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "--db", demo_db, "check")
    assert code == 1 and "10" in err


def test_check_refuses_missing_and_damaged_files(tmp_path, capsys):
    code, _, err = run(capsys, "--db", tmp_path / "none.sqlite3", "check")
    assert code == 1 and not (tmp_path / "none.sqlite3").exists()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"garbage" * 1000)
    code, _, err = run(capsys, "--db", junk, "check")
    assert code == 1 and "备份" in err
