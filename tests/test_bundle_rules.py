"""A bundle obeys the same rules as the keyboard (issue 15): the rules between a record's fields
(:func:`dudu_desktop.domain.validate.record_problems`) are checked at the township too. A village holding
its own key writes bundles whose records no keyboard could have entered; each such record is set aside
with its reason in the rejected-rows report, its children with it, and nothing else changes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dudu_desktop.domain.validate import record_problems
from dudu_desktop.services import disputes, hotline, trainings
from dudu_desktop.storage.ids import new_id
from dudu_desktop.storage.schema import RECORD_TABLES
from dudu_desktop.sync import keys, seal
from tests import test_trust_sync
from tests.test_seal import A
from tests.test_trust_sync import _csv_rows, _members, _rebuild, db_file, new_dispute, run

world = test_trust_sync.world  # the township and villages A, B (a module-scoped fixture)


def _forge(capsys, village, folder: Path, edit) -> Path:
    """Export village A's changes unsealed, let ``edit`` change ``{table: {id: row dict}}`` (add rows
    with new ids), rebuild the description and seal it with A's own key."""
    folder.mkdir(exist_ok=True)
    code, out, err = run(capsys, "--db", db_file(village), "export", "--out", folder, "--unsealed")
    assert code == 0, err
    plain = Path(out.strip())
    members = _members(plain.read_bytes())
    headers = {}
    tables = {}
    for t in RECORD_TABLES:
        headers[t], rows = _csv_rows(members[f"{t}.csv"])
        tables[t] = {r[0]: dict(zip(headers[t], r)) for r in rows}
    edit(tables)
    forged = _rebuild(
        members,
        {t: (headers[t], [[row.get(h, "") for h in headers[t]] for row in tables[t].values()]) for t in RECORD_TABLES},
    )
    meta = json.loads(members["datapackage.json"])["dudu"]
    sealed = folder / seal.sealed_name(plain.name)
    sealed.write_bytes(
        seal.seal(
            forged,
            keys.sealing_identity(village.conn, A[0]),
            seq=meta["sequence"],
            name=plain.name,
            created=meta["created_at"],
        )
    )
    return sealed


def _import(capsys, town, bundle: Path) -> dict:
    code, out, err = run(capsys, "--db", db_file(town), "import", bundle, "--json")
    assert code == 0, err
    return json.loads(out)[0]


def _rejected(town) -> dict[str, list[dict]]:
    """record id → the rejected-rows report entries of the last import."""
    found: dict[str, list[dict]] = {}
    for r in json.loads(town.conn.execute("SELECT rejected FROM sync_imports ORDER BY id DESC").fetchone()[0]):
        found.setdefault(r["record_id"], []).append(r)
    return found


def _count(conn, table: str, rid: str) -> int:
    return conn.execute(f"SELECT count(*) FROM {table} WHERE id = ?", (rid,)).fetchone()[0]


def _as_stored(row: dict) -> dict:
    """CSV text → the values the rules see (numbers as numbers, empty as None)."""
    out = {}
    for k, v in row.items():
        out[k] = (
            int(v)
            if v.lstrip("-").isdigit() and k not in ("id", "village_code", "phone", "caller_phone")
            else (None if v == "" and k.endswith(("_on", "_cents", "_score", "_passed")) else v)
        )
    return out


#: name → (table, how a good record of the village is turned into one no keyboard could enter)
BROKEN = {
    "a concluded dispute with no result": (
        "disputes",
        {"status": "已办结", "result": "", "concluded_on": "2024-12-10"},
    ),
    "a result on an open case": ("disputes", {"status": "调处中", "result": "调解不成"}),
    "concluded before it was registered": (
        "disputes",
        {"status": "已办结", "result": "撤回", "concluded_on": "2024-11-01"},
    ),
    "an agreement amount without an agreement": ("disputes", {"amount_cents": "50000", "agreement": "0"}),
    "a named call without a name": ("hotline_calls", {"anonymous": "0", "caller_name": ""}),
    "an exam result for someone who did not sign in": ("training_attendance", {"signed_in": "0", "exam_score": "80"}),
    "an exam score above 100": ("training_attendance", {"signed_in": "1", "exam_score": "120"}),
}


@pytest.fixture
def records(world):
    """Village A's records, all valid: a dispute with its parties, a named call, a training with one attendee."""
    town, village, usb = world
    dispute = new_dispute(village)
    call = hotline.create_call(
        village,
        {
            "called_at": "2024-12-01 09:30",
            "channel": "电话",
            "category": "劳动",
            "question": "工资被拖欠怎么办",
            "caller_name": "赵六",
        },
    )
    training = trainings.create_training(
        village,
        {"held_on": "2024-12-05", "topic": "民法典宣讲", "training_type": "专题学习"},
        [{"name": "钱七", "signed_in": 1}],
    )
    attendee = trainings.attendance(village.conn, training)[0]["id"]
    return {"disputes": dispute, "hotline_calls": call, "training_attendance": attendee}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_record_the_keyboard_refuses_is_set_aside_and_nothing_else_changes(world, records, tmp_path, capsys, case):
    town, village, _usb = world
    table, change = BROKEN[case]
    rid = records[table]
    holder = {}

    def edit(tables):
        tables[table][rid].update(change)
        holder["row"] = dict(tables[table][rid])

    bundle = _forge(capsys, village, tmp_path / "forged", edit)
    keyboard = record_problems(table, _as_stored(holder["row"]))
    assert keyboard, case  # the keyboard refuses it …

    result = _import(capsys, town, bundle)
    rejected = _rejected(town)
    assert rid in rejected  # … and so does the township, with the same reason
    assert {r["message"] for r in rejected[rid]} == {p.message for p in keyboard}
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["message"]) for r in rejected[rid])
    assert _count(town.conn, table, rid) == 0
    if table == "disputes":  # its parties are set aside with it
        assert town.conn.execute("SELECT count(*) FROM dispute_parties WHERE dispute_id = ?", (rid,)).fetchone()[0] == 0
    for other_table, other in records.items():  # the rest of the bundle went in
        if other != rid:
            assert _count(town.conn, other_table, other) == 1, other_table
    assert result["totals"]["invalid"] >= 1


def test_a_newer_version_that_breaks_a_rule_leaves_the_townships_copy_as_it_was(world, records, tmp_path, capsys):
    town, village, usb = world
    code, out, err = run(capsys, "--db", db_file(village), "export", "--out", usb)
    assert code == 0, err
    _import(capsys, town, Path(out.strip()))
    rid = records["disputes"]
    before = dict(town.conn.execute("SELECT * FROM disputes WHERE id = ?", (rid,)).fetchone())
    disputes.start_mediation(village, rid)  # a real change, so the next bundle carries it

    def edit(tables):
        row = tables["disputes"][rid]
        row.update(status="已办结", result="", concluded_on="2024-12-10")

    _import(capsys, town, _forge(capsys, village, tmp_path / "forged", edit))
    assert rid in _rejected(town)
    assert dict(town.conn.execute("SELECT * FROM disputes WHERE id = ?", (rid,)).fetchone()) == before


def test_a_deletion_goes_through_even_when_the_deleted_row_breaks_a_rule(world, records, tmp_path, capsys):
    """Records entered before a rule existed can still be deleted at the village and the township."""
    town, village, usb = world
    rid = records["hotline_calls"]

    def edit(tables):
        tables["hotline_calls"][rid].update(anonymous="0", caller_name="", deleted="1")

    _import(capsys, town, _forge(capsys, village, tmp_path / "forged", edit))
    assert rid not in _rejected(town)
    assert town.conn.execute("SELECT deleted FROM hotline_calls WHERE id = ?", (rid,)).fetchone()[0] == 1


def test_attendance_for_a_training_that_does_not_exist_is_not_taken(world, records, tmp_path, capsys):
    town, village, _usb = world
    ghost_training, ghost_row = new_id(), new_id()

    def edit(tables):
        row = dict(next(iter(tables["training_attendance"].values())))
        row.update(id=ghost_row, training_id=ghost_training, name="不存在的培训的学员")
        tables["training_attendance"][ghost_row] = row

    result = _import(capsys, town, _forge(capsys, village, tmp_path / "forged", edit))
    assert _count(town.conn, "training_attendance", ghost_row) == 0
    assert _count(town.conn, "trainings", ghost_training) == 0
    reasons = _rejected(town)[ghost_row]
    assert [r["column"] for r in reasons] == ["training_id"]
    # kept aside (not applied) until a bundle brings that training — never attached to nothing
    assert town.conn.execute("SELECT count(*) FROM sync_pending WHERE record_id = ?", (ghost_row,)).fetchone()[0] == 1
    assert _count(town.conn, "training_attendance", records["training_attendance"]) == 1
    assert result["totals"]["invalid"] == 1


def test_record_problems_takes_a_table_or_a_register_name():
    named_call = {"anonymous": 0, "caller_name": ""}
    assert [p.field for p in record_problems("hotline_calls", named_call)] == ["caller_name"]
    assert record_problems("hotline", named_call) == record_problems("hotline_calls", named_call)
    assert record_problems("publicity_events", {"theme": ""}) == []  # no rules between its fields


def test_a_success_without_agreement_terms_is_taken_like_a_spreadsheet_row(world, records, tmp_path, capsys):
    """调解成功 needs the agreement's content where a person states the outcome
    (``validate.agreement_problems``, issue 12), deliberately not a whole-record rule: bundles and
    spreadsheets carry cases concluded before that rule. The bundle follows record_problems exactly."""
    town, village, _usb = world
    rid = records["disputes"]
    change = {
        "status": "已办结",
        "result": "调解成功",
        "concluded_on": "2024-12-10",
        "agreement": "1",
        "agreement_terms": "",
    }
    assert record_problems("disputes", _as_stored(change)) == []

    def edit(tables):
        tables["disputes"][rid].update(change)

    _import(capsys, town, _forge(capsys, village, tmp_path / "forged", edit))
    assert rid not in _rejected(town)
    assert town.conn.execute("SELECT result FROM disputes WHERE id = ?", (rid,)).fetchone()[0] == "调解成功"
