"""Statistics on hand-built data: every expected figure is worked out here, in the test."""

import datetime as dt

import pytest

from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import disputes, hotline, publicity, records, site, stats, trainings
from tests.conftest import make_context

P = [{"role": "申请人", "name": "甲"}, {"role": "被申请人", "name": "乙"}]


def dispute(ctx, day, dtype="邻里", level="蓝", **over):
    return disputes.create_dispute(
        ctx,
        {"registered_on": day, "dispute_type": dtype, "summary": "纠纷", "source": "主动排查", "level": level, **over},
        P,
    )


@pytest.fixture
def figures(tmp_path):
    ctx = make_context(tmp_path / "s.sqlite3", clock_at=dt.datetime(2024, 12, 20, 10, 0))
    # Disputes registered in 2024: 6 (one more in 2023, one deleted)
    a = dispute(ctx, "2024-01-05", "婚姻家庭", "红", prevented_criminal=1, prevented_criminal_people=3)
    disputes.conclude(
        ctx, a, result="调解成功", agreement_terms="双方和解", concluded_on="2024-01-20", amount="10000"
    )  # on time
    b = dispute(ctx, "2024-02-01", "邻里", "黄")
    disputes.conclude(
        ctx, b, result="调解成功", agreement_terms="双方和解", concluded_on="2024-03-15", amount="1409.5"
    )  # late → overdue
    disputes.record_followup(ctx, b, {"visited_on": "2024-03-20", "performance": "已履行", "satisfaction": "满意"})
    disputes.close_out(ctx, b, closed_out_on="2024-03-21")
    c = dispute(ctx, "2024-05-10", "邻里")
    disputes.conclude(ctx, c, result="调解不成", concluded_on="2024-05-12")
    d = dispute(ctx, "2024-06-01", "合同")
    disputes.conclude(ctx, d, result="撤回", concluded_on="2024-06-02")
    dispute(ctx, "2024-12-01", "山林土地")  # open, registered 19 days ago: not overdue
    e = dispute(ctx, "2024-10-01", "邻里")  # open since Oct: overdue
    disputes.start_mediation(ctx, e)
    old = dispute(ctx, "2023-12-25", "合同")  # 2023 case concluded in 2024: counts in closed
    disputes.conclude(ctx, old, result="调解成功", agreement_terms="双方和解", concluded_on="2024-01-03")
    gone = dispute(ctx, "2024-07-01", "邻里")
    records.delete_record(ctx, "disputes", gone, reason="重复登记")
    # Trainings: 3 in 2024 (专题学习, 以案说法, 研讨) + 1 in 2023
    t1 = trainings.create_training(
        ctx,
        {"held_on": "2024-03-01", "topic": "学法", "training_type": "专题学习"},
        [{"name": n} for n in ("张", "王", "李", "赵")],
    )
    trainings.sign_in(ctx, t1, ["张", "王", "李"])
    rows = {r["name"]: r["id"] for r in trainings.attendance(ctx.conn, t1)}
    trainings.record_exam(ctx, rows["张"], score=90)
    trainings.record_exam(ctx, rows["王"], score=50)
    t2 = trainings.create_training(ctx, {"held_on": "2024-04-01", "topic": "案例", "training_type": "以案说法"})
    trainings.sign_in(ctx, t2, ["刘"])
    trainings.create_training(ctx, {"held_on": "2024-09-09", "topic": "研讨", "training_type": "研讨"})
    trainings.create_training(ctx, {"held_on": "2023-09-09", "topic": "去年", "training_type": "研讨"})
    # Hotline: 4 in 2024 (2 by phone), satisfaction 满意, 基本满意, 不满意, unanswered
    for i, (channel, sat) in enumerate([("电话", "满意"), ("电话", "基本满意"), ("来访", "不满意"), ("网上", "")]):
        hotline.create_call(
            ctx,
            {
                "called_at": f"2024-0{i + 1}-02 10:00",
                "channel": channel,
                "anonymous": True,
                "category": "劳动",
                "question": "问",
                "satisfaction": sat,
            },
        )
    # Publicity: 3 in 2024
    publicity.create_event(
        ctx,
        {"held_on": "2024-03-08", "theme": "3·8妇女节", "form": "讲座", "audience": 100},
        [{"kind": "宣传册", "quantity": 200}, {"kind": "横幅", "quantity": 2}],
    )
    publicity.create_event(
        ctx,
        {"held_on": "2024-06-26", "theme": "6·26国际禁毒日", "form": "专项治理", "audience": 50},
        [{"kind": "宣传单", "quantity": 300}],
    )
    publicity.create_event(ctx, {"held_on": "2024-12-04", "theme": "12·4宪法宣传周", "form": "发放资料"})
    yield ctx, stats.compute_stats(ctx.conn, year=2024, today=dt.date(2024, 12, 20))
    ctx.conn.close()


def test_dispute_figures(figures):
    _, s = figures
    d = s["disputes"]
    assert d["total"] == 6 and d["open"] == 2
    assert (d["closed"], d["resolved"], d["failed"], d["withdrawn"]) == (5, 3, 1, 1)
    assert d["success_rate"] == pytest.approx(3 / 4)
    assert d["overdue"] == 2  # b concluded late, e still open past 30 days
    assert d["by_type"]["邻里"] == 3 and d["by_type"]["婚姻家庭"] == 1 and d["by_type"]["合同"] == 1
    assert sum(d["by_type"].values()) == 6 and len(d["by_type"]) == 15
    assert d["by_level"] == {"red": 1, "yellow": 1, "blue": 4}
    assert d["agreement_amount_cents"] == 1000000 + 140950 + 0
    assert (d["prevented_criminal"], d["prevented_criminal_people"]) == (1, 3)
    assert d["followups"] == 1 and d["followup_satisfaction_rate"] == 1.0
    assert d["by_month_type"]["2024-02"] == {"邻里": 1}


def test_training_hotline_publicity_figures(figures):
    _, s = figures
    t, h, p = s["trainings"], s["hotline"], s["publicity"]
    assert (t["sessions"], t["study"], t["seminars"]) == (3, 2, 1)
    assert (t["invited"], t["attendances"]) == (5, 4)
    assert (t["exam_takers"], t["exam_passed"], t["exam_pass_rate"]) == (2, 1, 0.5)
    assert (h["consultations"], h["calls"], h["visits"], h["online"]) == (4, 2, 1, 1)
    assert h["satisfaction_rate"] == pytest.approx(2 / 3)
    assert (p["events"], p["lectures"], p["campaigns"], p["audience"], p["materials"]) == (3, 1, 1, 150, 502)
    assert p["materials_by_kind"]["宣传单"] == 300


def test_month_and_village_filters(figures):
    ctx, _ = figures
    may = stats.compute_stats(ctx.conn, month="2024-05", today=dt.date(2024, 12, 20))
    assert may["disputes"]["total"] == 1 and may["disputes"]["failed"] == 1 and may["disputes"]["success_rate"] == 0
    assert may["trainings"]["sessions"] == 0 and may["trainings"]["exam_pass_rate"] is None
    assert may["period"]["from"] == "2024-05-01" and may["period"]["to"] == "2024-05-31"
    other = stats.compute_stats(ctx.conn, year=2024, village="500243104999")
    assert other["disputes"]["total"] == 0 and other["disputes"]["success_rate"] is None
    mine = stats.compute_stats(ctx.conn, year=2024, village="500243104201", today=dt.date(2024, 12, 20))
    assert mine["disputes"]["total"] == 6


def test_overdue_days_setting_changes_the_count(figures):
    ctx, _ = figures
    site.set_setting(ctx, "overdue_days", 60)
    assert stats.compute_stats(ctx.conn, year=2024, today=dt.date(2024, 12, 20))["disputes"]["overdue"] == 1


def test_bad_periods_are_refused(figures):
    ctx, _ = figures
    with pytest.raises(Refused):
        stats.compute_stats(ctx.conn, month="2024-13")
    with pytest.raises(Refused):
        stats.compute_stats(ctx.conn)
