"""调解成功 requires the content of the agreement (issue 12; the amount stays optional), and the
协议书 never prints blank terms."""

from __future__ import annotations

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import Refused
from dudu_desktop.services import disputes

CASE = {"registered_on": "2024-12-01", "dispute_type": "邻里", "summary": "排水沟堵塞引发争吵", "source": "主动排查"}
PARTIES = [{"role": "申请人", "name": "张三"}]


def test_concluding_as_success_needs_the_terms_but_not_the_amount(ctx):
    case = disputes.create_dispute(ctx, CASE, PARTIES)
    with pytest.raises(Refused) as exc:
        disputes.conclude(ctx, case, result="调解成功", concluded_on="2024-12-10", amount="500", agreement_terms=" ")
    assert "agreement_terms" in exc.value.by_field() and "协议内容" in str(exc.value)
    assert disputes.get_dispute(ctx.conn, case)["status"] == "待调处"
    done = disputes.conclude(ctx, case, result="调解成功", concluded_on="2024-12-10", agreement_terms="李四疏通排水沟")
    assert (done["status"], done["amount_cents"]) == ("已办结", None)
    other = disputes.create_dispute(ctx, CASE, PARTIES)
    assert disputes.conclude(ctx, other, result="调解不成", concluded_on="2024-12-10")["status"] == "已办结"
    # a case entered as concluded at once, and an edit that empties the terms
    with pytest.raises(Refused, match="协议内容"):
        disputes.create_dispute(
            ctx, {**CASE, "status": "已办结", "result": "调解成功", "concluded_on": "2024-12-05"}, PARTIES
        )
    with pytest.raises(Refused, match="协议内容"):
        disputes.update_dispute(ctx, case, {"agreement_terms": ""})


def test_the_agreement_never_prints_blank_terms(ctx, db_path, tmp_path, capsys, monkeypatch):
    case = disputes.create_dispute(ctx, CASE, PARTIES)
    disputes.conclude(ctx, case, result="调解成功", concluded_on="2024-12-10", agreement_terms="李四疏通排水沟")
    # a case concluded before the rule (or edited outside the program): no terms
    ctx.conn.execute("UPDATE disputes SET agreement_terms = '' WHERE id = ?", (case,))
    monkeypatch.delenv("DUDU_PASSWORD", raising=False)
    code = main(
        ["--db", str(db_path), "report", "agreement", "--dispute", "2024-001", "--out", str(tmp_path / "a.pdf")]
    )
    err = capsys.readouterr().err
    assert code == 1 and "协议内容" in err and not (tmp_path / "a.pdf").exists()
