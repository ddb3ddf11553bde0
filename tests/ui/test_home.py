"""Home-page figures: each one equals the count of the register list it clicks through to."""

from __future__ import annotations

from dudu_desktop.services import disputes, home, site
from dudu_desktop.storage.queries import count_rows


def _dispute(ctx, day, level="蓝"):
    return disputes.create_dispute(
        ctx,
        {"registered_on": day, "dispute_type": "邻里", "source": "主动排查", "summary": "排水沟纠纷", "level": level},
        [{"role": "申请人", "name": "王五"}],
    )


def test_figures(ctx):
    _dispute(ctx, "2024-12-05", "红")  # new this month, open, red
    _dispute(ctx, "2024-10-01", "黄")  # open, overdue (registered > 30 days ago)
    done = _dispute(ctx, "2024-11-01")
    disputes.conclude(
        ctx, done, result="调解成功", agreement_terms="双方和解", concluded_on="2024-11-20"
    )  # follow-up due
    visited = _dispute(ctx, "2024-11-02")
    disputes.conclude(ctx, visited, result="调解成功", agreement_terms="双方和解", concluded_on="2024-11-20")
    disputes.record_followup(ctx, visited, {"visited_on": "2024-12-01", "performance": "已履行"})
    recent = _dispute(ctx, "2024-12-10")
    disputes.conclude(
        ctx, recent, result="调解成功", agreement_terms="双方和解", concluded_on="2024-12-18"
    )  # < 7 days: not yet due
    figs = {f.key: f for f in home.figures(ctx)}
    assert figs["new_disputes"].value == 2
    assert figs["open_红"].value == 1 and figs["open_黄"].value == 1 and figs["open_蓝"].value == 0
    assert figs["overdue"].value == 1
    assert figs["followups_due"].value == 1
    for f in figs.values():
        assert (
            count_rows(ctx.conn, f.register, f.filters, today=ctx.today(), overdue_days=site.overdue_days(ctx.conn))
            == f.value
        )


def test_last_bundles(ctx):
    assert home.last_bundles(ctx.conn) == {"export": None, "import": None}
    site.set_setting(ctx, "sync.last_export", {"at": "2024-12-01 10:00", "path": "E:/x.zip", "seq": 12})
    assert home.last_bundles(ctx.conn)["export"]["seq"] == 12
