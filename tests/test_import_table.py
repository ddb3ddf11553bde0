"""Spreadsheets in: templates, every encoding and date style gives the same records, bad rows are
reported with row and column, a re-run does not duplicate."""

from __future__ import annotations

import csv

import pytest
from openpyxl import Workbook, load_workbook

from dudu_desktop.cli import main
from dudu_desktop.domain.problems import Refused
from dudu_desktop.sync.tables import COLUMNS, headers, import_table, template

HEAD = ["登记日期", "当事人", "纠纷类型", "纠纷简要情况", "来源", "预警等级", "状态", "调处结果", "调解员", "办结日期"]
ROWS = [
    [
        "{d1}",
        "张三、李四 王五",
        "邻里",
        "因房屋滴水问题发生争吵",
        "主动排查",
        "蓝",
        "已办结",
        "调解成功",
        "冉光明",
        "{d2}",
    ],
    ["{d3}", "赵六，钱七", "合同", "欠款未还", "当事人申请", "黄", "调处中", "", "谭晓燕", ""],
]
DATES = {
    "iso": ("2024-05-01", "2024-05-03", "2024-06-10"),
    "slash": ("2024/5/1", "2024/5/3", "2024/6/10"),
    "chinese": ("2024年5月1日", "2024年5月3日", "2024年6月10日"),
}


def rows_for(style: str) -> list[list[str]]:
    d1, d2, d3 = DATES[style]
    return [[c.format(d1=d1, d2=d2, d3=d3) for c in r] for r in ROWS]


def write(path, style: str, encoding: str) -> None:
    if path.suffix == ".xlsx":
        wb = Workbook()
        ws = wb.active
        ws.append(["某某村矛盾纠纷台账（2024年）"])
        ws.append(HEAD)
        for r in rows_for(style):
            ws.append(r)
        wb.save(path)
        return
    with open(path, "w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(HEAD)
        w.writerows(rows_for(style))


def records(conn) -> list[tuple]:
    return sorted(
        tuple(r)
        for r in conn.execute(
            "SELECT registered_on, party_names, dispute_type, summary, source, level, status, result, mediator, "
            "concluded_on FROM disputes WHERE deleted = 0"
        )
    )


EXPECTED = [
    (
        "2024-05-01",
        "张三、李四、王五",
        "邻里",
        "因房屋滴水问题发生争吵",
        "主动排查",
        "蓝",
        "已办结",
        "调解成功",
        "冉光明",
        "2024-05-03",
    ),
    ("2024-06-10", "赵六、钱七", "合同", "欠款未还", "当事人申请", "黄", "调处中", "", "谭晓燕", None),
]


@pytest.mark.parametrize(
    "name,encoding", [("bom.csv", "utf-8-sig"), ("plain.csv", "utf-8"), ("gbk.csv", "gbk"), ("book.xlsx", None)]
)
@pytest.mark.parametrize("style", list(DATES))
def test_every_encoding_and_date_style_imports_the_same_records(ctx, tmp_path, name, encoding, style):
    path = tmp_path / name
    write(path, style, encoding)
    preview = import_table(ctx, "disputes", path, dry_run=True)
    assert (preview.imported, preview.skipped, preview.problems) == (2, 0, [])
    assert records(ctx.conn) == []  # the dry run wrote nothing
    result = import_table(ctx, "disputes", path)
    assert result.imported == 2 and len(result.ids) == 2
    assert records(ctx.conn) == EXPECTED
    parties = ctx.conn.execute("SELECT name, role FROM dispute_parties ORDER BY position, name").fetchall()
    assert ("张三", "申请人") in [tuple(p) for p in parties] and len(parties) == 5
    again = import_table(ctx, "disputes", path)  # a re-run does not duplicate
    assert (again.imported, again.duplicates) == (0, 2)
    assert records(ctx.conn) == EXPECTED


def test_bad_rows_are_reported_with_row_and_column_and_the_others_go_in(ctx, tmp_path):
    path = tmp_path / "bad.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["某村台账"])
        w.writerow(HEAD)
        w.writerow(["2024-13-01", "张三", "邻里", "日期错误", "主动排查", "", "", "", "", ""])  # row 3
        w.writerow(["2024-05-02", "", "邻里", "没有当事人", "主动排查", "", "", "", "", ""])  # row 4
        w.writerow(["2024-05-02", "李四", "吵架", "类型不对", "主动排查", "", "", "", "", ""])  # row 5
        w.writerow(["2024-05-02", "王五", "邻里", "办结却无结果", "主动排查", "", "已办结", "", "", "2024-05-03"])  # 6
        w.writerow(["2024-05-02", "赵六", "邻里", "正常的一行", "主动排查", "", "", "", "", ""])  # row 7
        w.writerow(["2099-01-01", "孙八", "邻里", "将来的日期", "主动排查", "", "", "", "", ""])  # row 8
    result = import_table(ctx, "disputes", path)
    found = {(p.row, p.column) for p in result.problems}
    assert {(3, "登记日期"), (4, "当事人"), (5, "纠纷类型"), (6, "调处结果"), (8, "登记日期")} <= found
    assert all(p.message for p in result.problems)
    assert result.imported == 1 and result.skipped == 5
    assert [r[3] for r in records(ctx.conn)] == ["正常的一行"]


@pytest.mark.parametrize("register", list(COLUMNS))
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_templates_have_the_headers_and_their_example_is_skipped(ctx, tmp_path, register, suffix):
    path = template(register, tmp_path / f"{register}{suffix}")
    if suffix == ".csv":
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")
        first = path.read_text(encoding="utf-8-sig").splitlines()[0]
        assert [h.lstrip("*") for h in first.split(",")] == headers(register)
    else:
        ws = load_workbook(path).worksheets[0]
        assert [str(c.value).lstrip("*") for c in ws[2]] == headers(register)
        assert ws.data_validations.dataValidation  # drop-down lists
    result = import_table(ctx, register, path)
    assert result.imported == 0 and result.skipped == 0 and result.notes


def test_filled_templates_of_each_register_import(ctx, tmp_path):
    data = {
        "trainings": ["2024年5月6日", "民法典学习", "专题学习", "彭所长", "会议室", "12", "10", "9", "2", ""],
        "hotline": ["2024/5/6 9:30", "电话", "匿名", "劳动", "拖欠工资怎么办", "已解答", "满意", "", "", ""],
        "publicity": ["2024-05-06", "民法典进农家", "赶集日咨询台", "赶集场", "150", "300", "宣传册", "", ""],
    }
    for register, row in data.items():
        path = tmp_path / f"{register}.csv"
        with open(path, "w", encoding="gbk", newline="") as f:
            csv.writer(f).writerows([headers(register), row])
        result = import_table(ctx, register, path)
        assert result.imported == 1, (register, result.problems)
    t = ctx.conn.execute(
        "SELECT count(*), sum(signed_in), sum(exam_passed = 1), sum(exam_passed IS NOT NULL) FROM training_attendance"
    ).fetchone()
    assert tuple(t) == (12, 12, 9, 10)
    call = ctx.conn.execute("SELECT called_at, anonymous, caller_name FROM hotline_calls").fetchone()
    assert tuple(call) == ("2024-05-06 09:30", 1, "")
    assert ctx.conn.execute("SELECT kind, quantity FROM publicity_materials").fetchone()[:] == ("宣传册", 300)


def test_missing_required_column_is_refused(ctx, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("登记日期,当事人\n2024-05-01,张三\n", encoding="utf-8")
    with pytest.raises(Refused):
        import_table(ctx, "disputes", path)


def test_cli_template_and_import_table(db_path, ctx, tmp_path, capsys):
    ctx.conn.close()
    out = tmp_path / "t.xlsx"
    assert main(["--db", str(db_path), "template", "--register", "publicity", "--out", str(out)]) == 0
    assert out.exists()
    path = tmp_path / "p.csv"
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([headers("publicity"), ["2024-05-06", "宪法宣传", "讲座", "", "80", "", "", "", ""]])
    assert main(["--db", str(db_path), "import-table", "--register", "publicity", str(path), "--json"]) == 0
    assert '"imported": 1' in capsys.readouterr().out
    assert main(["--db", str(db_path), "import-table", "--register", "publicity", str(tmp_path / "none.csv")]) == 1
