"""Issue 13, the Ministry of Justice 人民调解协议书: each party's 职业或职务 (``occupation``) and the
agreement's 履行地点 (``place_of_performance``), migration 0014 — stored by the services, covered by
the audit digests (``check`` clean after an edit, a change with sqlite3 seen), an old file's digests
still valid after the upgrade, and carried by bundles both ways (a new village's bundle brings them,
an older village's bundle without the columns still imports)."""

from __future__ import annotations

import dataclasses
import sqlite3
import zipfile

import pytest

from dudu_desktop.cli import main
from dudu_desktop.domain.fields import DISPUTE, PARTY
from dudu_desktop.domain.problems import Refused
from dudu_desktop.reports.documents import AGREEMENT, DocumentRequest, pdf_bytes
from dudu_desktop.services import audit, disputes, site
from dudu_desktop.services.context import Context
from dudu_desktop.storage import chain
from dudu_desktop.storage.db import open_database, schema_version
from dudu_desktop.storage.schema import MIGRATIONS
from dudu_desktop.sync import export as _export
from dudu_desktop.sync import merge as _merge
from reports_support import flat, pdf_text
from tests.conftest import NOW, make_context

PLACE = "都督村便民服务中心"


def new_case(ctx, *, occupation="农民", place=PLACE, conclude=True) -> str:
    dispute = disputes.create_dispute(
        ctx,
        {
            "registered_on": "2024-05-06",
            "dispute_type": "邻里",
            "source": "当事人申请",
            "mediator": "冉光明",
            "summary": "张三与邻居李四因排水沟堵塞发生纠纷。",
        },
        [
            {"role": "申请人", "name": "张三", "occupation": occupation},
            {"role": "被申请人", "name": "李四", "occupation": ""},
        ],
    )
    if conclude:
        disputes.start_mediation(ctx, dispute, method="人民调解")
        disputes.conclude(
            ctx,
            dispute,
            result="调解成功",
            concluded_on="2024-05-10",
            agreement_terms="李四于2024年6月1日前修复排水沟。",
            performance_terms="协议签订之日起三十日内履行完毕。",
            place_of_performance=place,
        )
    return dispute


def check(capsys, path) -> tuple[int, str]:
    code = main(["--db", str(path), "check"])
    return code, capsys.readouterr().err


def sql(path, *statements) -> None:
    conn = sqlite3.connect(str(path))
    for s in statements:
        conn.execute(s)
    conn.commit()
    conn.close()


def test_the_services_store_both_fields_and_check_stays_clean(ctx, db_path, capsys):
    dispute = new_case(ctx)
    row = disputes.get_dispute(ctx.conn, dispute)
    assert row["place_of_performance"] == PLACE
    assert [p["occupation"] for p in row["parties"]] == ["农民", ""]
    parties = [{**p, "occupation": "个体工商户" if i else p["occupation"]} for i, p in enumerate(row["parties"])]
    disputes.update_dispute(ctx, dispute, {"place_of_performance": "李四家门前排水沟"}, parties)
    row = disputes.get_dispute(ctx.conn, dispute)
    assert row["place_of_performance"] == "李四家门前排水沟"
    assert [p["occupation"] for p in row["parties"]] == ["农民", "个体工商户"]
    entry = audit.entries(ctx.conn, record_id=row["parties"][1]["id"], limit=1)[0]
    assert entry["changes"]["occupation"] == ["", "个体工商户"]
    ctx.conn.close()
    assert check(capsys, db_path) == (0, "")


def test_a_too_long_occupation_is_refused(ctx):
    with pytest.raises(Refused) as exc:
        new_case(ctx, occupation="职" * 51, conclude=False)
    assert any(k.startswith("parties[0].occupation") for k in exc.value.by_field())


def test_check_sees_the_new_fields_changed_outside_the_program(ctx, db_path, capsys):
    dispute = new_case(ctx)
    party_ids = [p["id"] for p in disputes.get_dispute(ctx.conn, dispute)["parties"]]
    ctx.conn.close()
    assert check(capsys, db_path)[0] == 0
    # a value changed, a value set where there was none, a value cleared
    sql(
        db_path,
        f"UPDATE disputes SET place_of_performance = '别处' WHERE id = '{dispute}'",
        f"UPDATE dispute_parties SET occupation = '村干部' WHERE id = '{party_ids[1]}'",
        f"UPDATE dispute_parties SET occupation = '' WHERE id = '{party_ids[0]}'",
    )
    code, err = check(capsys, db_path)
    assert code == 1
    assert dispute in err and party_ids[0] in err and party_ids[1] in err


def test_an_old_file_upgrades_with_its_digests_still_valid(tmp_path, monkeypatch, capsys):
    """Disputes and parties written and sealed by the program before 0014 keep their digests (the new
    columns are '' there): check is clean after the upgrade, and a later edit is covered."""
    path = tmp_path / "old.sqlite3"
    old = MIGRATIONS[: [name for name, _ in MIGRATIONS].index("0014_agreement_fields")]
    with monkeypatch.context() as m:  # the program as it was: no such fields, no such digests
        m.setattr(
            disputes,
            "PARTY",
            dataclasses.replace(PARTY, fields=tuple(f for f in PARTY.fields if f.key != "occupation")),
        )
        m.setattr(
            disputes,
            "DISPUTE",
            dataclasses.replace(DISPUTE, fields=tuple(f for f in DISPUTE.fields if f.key != "place_of_performance")),
        )
        m.setattr(chain, "DIGESTED_WHEN_SET", {})
        chain.content_sql.cache_clear()
        database = open_database(path, migrations=old)
        ctx = Context(conn=database, user="tester", clock=lambda: NOW)
        site.init_site(
            ctx,
            role="village",
            code="500243104201",
            name="都督村",
            township_code="500243104000",
            township_name="都督乡",
        )
        dispute = disputes.create_dispute(
            ctx,
            {
                "registered_on": "2024-05-06",
                "dispute_type": "邻里",
                "source": "当事人申请",
                "summary": "张三与李四因排水沟堵塞发生纠纷。",
            },
            [{"role": "申请人", "name": "张三"}, {"role": "被申请人", "name": "李四"}],
        )
        assert "occupation" not in {r[1] for r in database.execute("PRAGMA table_info(dispute_parties)")}
        database.close()
    chain.content_sql.cache_clear()
    assert check(capsys, path) == (0, "")  # opened with every migration: 0014 applied
    ctx = make_context(path)
    row = disputes.get_dispute(ctx.conn, dispute)
    assert row["place_of_performance"] == "" and row["parties"][0]["occupation"] == ""
    disputes.update_dispute(
        ctx, dispute, {"place_of_performance": PLACE}, [{**p, "occupation": "教师"} for p in row["parties"]]
    )
    ctx.conn.close()
    assert check(capsys, path) == (0, "")
    sql(path, f"UPDATE disputes SET place_of_performance = '别处' WHERE id = '{dispute}'")
    code, err = check(capsys, path)
    assert code == 1 and dispute in err


# --- bundles -------------------------------------------------------------------------------------


def _village(path):
    return make_context(path)


def _township(path):
    ctx = make_context(path, role="township")
    site.save_village(ctx, "500243104201", "都督村")
    return ctx


def test_a_bundle_carries_both_fields_to_the_township(tmp_path):
    village = _village(tmp_path / "v.sqlite3")
    dispute = new_case(village)
    path = _export.export_bundle(village, tmp_path, unsealed=True).path
    town = _township(tmp_path / "t.sqlite3")
    _merge.apply_bundle(town, path, allow_unsealed=True)
    row = disputes.get_dispute(town.conn, dispute)
    assert row["place_of_performance"] == PLACE
    assert [p["occupation"] for p in row["parties"]] == ["农民", ""]
    assert audit.check(town.conn) == []


def test_an_older_village_bundle_without_the_columns_still_imports(tmp_path, monkeypatch):
    village = _village(tmp_path / "v.sqlite3")
    dispute = new_case(village, occupation="", place="")
    older = schema_version(village.conn) - 1
    new_columns = {"occupation", "place_of_performance"}
    real = _export.bundle_columns
    with monkeypatch.context() as m:  # the program before 0014: no such columns, schema one lower
        m.setattr(
            _export,
            "bundle_columns",
            lambda conn, table: [c for c in real(conn, table) if c["name"] not in new_columns],
        )
        m.setattr(_export, "schema_version", lambda conn: older)
        path = _export.export_bundle(village, tmp_path, unsealed=True).path
    with zipfile.ZipFile(path) as z:
        header = z.read("disputes.csv").decode("utf-8-sig").splitlines()[0]
        assert "place_of_performance" not in header and "registered_on" in header
    town = _township(tmp_path / "t.sqlite3")
    _merge.apply_bundle(town, path, allow_unsealed=True)
    row = disputes.get_dispute(town.conn, dispute)
    assert row["place_of_performance"] == "" and [p["occupation"] for p in row["parties"]] == ["", ""]
    assert row["summary"].startswith("张三")
    assert audit.check(town.conn) == []


# --- the printed agreement -----------------------------------------------------------------------


def test_the_agreement_prints_occupation_per_party_and_the_place(ctx, db_path, tmp_path):
    """Read back from the PDF (pypdf): each party's block has 职业或职务 with its value, between
    年龄 and 联系方式/单位或住址 as in the Ministry of Justice form; the terms section has 履行地点
    under 履行方式、时限. The occupation is printed as typed in the masked copy too."""
    dispute = new_case(ctx, occupation="个体工商户")
    parties = disputes.get_dispute(ctx.conn, dispute)["parties"]
    disputes.update_dispute(
        ctx, dispute, {}, [{**parties[0], "address": "都督村3组12号"}, {**parties[1], "occupation": "教师"}]
    )
    out = tmp_path / "a.pdf"
    assert main(["--db", str(db_path), "report", "agreement", "--dispute", dispute, "--out", str(out)]) == 0
    text = flat(pdf_text(out.read_bytes()))
    assert text.count("职业或职务") == 2 and text.count("单位或住址") == 2
    first, second = text.split("被申请人", 1)
    assert "职业或职务个体工商户" in first and "职业或职务教师" in second
    assert first.index("年龄") < first.index("职业或职务") < first.index("单位或住址")
    assert "单位或住址都督村****" in first  # the address masked as before
    assert "履行方式、时限协议签订之日起三十日内履行完毕。履行地点" + PLACE in text
    assert text.index("经调解") < text.index("履行地点") < text.index("本协议一式三份")


def test_a_blank_place_and_occupation_leave_room_to_write(ctx, tmp_path):
    dispute = new_case(ctx, occupation="", place="")
    content, _count = pdf_bytes(ctx, DocumentRequest(AGREEMENT, {"dispute_id": dispute}))
    text = flat(pdf_text(content))
    assert text.count("职业或职务联系方式") == 2  # the labels stand, the cells blank
    assert "履行地点本协议一式" in text
