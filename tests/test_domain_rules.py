"""Every domain rule, checked on plain values (no database)."""

import datetime as dt

import pytest

from dudu_desktop.domain import vocab
from dudu_desktop.domain.fields import DISPUTE, HOTLINE, PERSON, TRAINING
from dudu_desktop.domain.validate import (
    attendance_problems,
    clean_record,
    dispute_problems,
    hotline_problems,
    id_number_problem,
    is_overdue,
    parse_date,
    parse_datetime,
    parse_money_cents,
    party_problems,
    phone_valid,
    reason_problems,
    status_change_problems,
    village_code_problems,
)

TODAY = dt.date(2024, 12, 20)


def fields(problems):
    return sorted(p.field for p in problems)


def with_check(body17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body17 + "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights)) % 11]


@pytest.mark.parametrize("number", ["11010519491231002X", "11010519491231002x", with_check("50024319900101123")])
def test_valid_id_numbers(number):
    assert id_number_problem(number) is None


@pytest.mark.parametrize(
    "number, fragment",
    [
        ("110105194912310021", "校验码"),  # wrong check character
        ("11010519491331002X", "出生日期"),  # month 13
        ("1101051949123100", "18位"),  # too short
        ("11010519491231002Y", "18位"),  # Y is not a check character
        ("110105209912310021", "出生日期"),  # born in 2099
    ],
)
def test_invalid_id_numbers(number, fragment):
    assert fragment in id_number_problem(number)


@pytest.mark.parametrize(
    "phone, ok",
    [
        ("13812345678", True),
        ("19912345678", True),
        ("12812345678", False),
        ("1381234567", False),
        ("023-12345678", True),
        ("02312345678", True),
        ("abc", False),
    ],
)
def test_phone_numbers(phone, ok):
    assert phone_valid(phone) is ok


@pytest.mark.parametrize("text", ["2024-05-01", "2024/5/1", "2024年5月1日", "2024.5.1", "20240501", "2024-5-1"])
def test_date_styles(text):
    assert parse_date(text) == dt.date(2024, 5, 1)


def test_datetime_and_money_parsing():
    assert parse_datetime("2024年5月1日 9:30") == dt.datetime(2024, 5, 1, 9, 30)
    assert parse_money_cents("¥1,409.50") == 140950
    assert parse_money_cents("10000") == 1000000
    assert parse_money_cents(None) is None
    with pytest.raises(ValueError):
        parse_date("昨天")


def good_dispute(**over):
    data = {
        "registered_on": "2024-05-01",
        "dispute_type": "邻里",
        "summary": "排水沟纠纷",
        "source": "主动排查",
        "level": "蓝",
    }
    data.update(over)
    return data


def test_required_fields_are_named_in_chinese():
    values, problems = clean_record(DISPUTE, {}, today=TODAY)
    assert fields(problems) == ["dispute_type", "level", "registered_on", "source", "summary"]
    assert "登记日期为必填项。" in [p.message for p in problems]


def test_dates_not_in_the_future():
    _, problems = clean_record(DISPUTE, good_dispute(registered_on="2024-12-21"), today=TODAY)
    assert fields(problems) == ["registered_on"]
    assert "不能晚于今天" in problems[0].message
    _, problems = clean_record(DISPUTE, good_dispute(registered_on="2024-12-20"), today=TODAY)
    assert problems == []


def test_choices_lengths_numbers_and_identity_fields():
    _, problems = clean_record(
        DISPUTE, good_dispute(dispute_type="吵架", summary="x" * 5000, amount_cents="abc"), today=TODAY
    )
    assert fields(problems) == ["amount_cents", "dispute_type", "summary"]
    _, problems = clean_record(
        PERSON, {"name": "张三", "phone": "12345", "id_number": "110105194912310021", "age": "-3"}, today=TODAY
    )
    assert fields(problems) == ["age", "id_number", "phone"]


def test_cleaning_converts_to_stored_values():
    values, problems = clean_record(
        HOTLINE,
        {"called_at": "2024/5/1 9:05", "channel": "电话", "category": "劳动", "question": "欠薪", "anonymous": "是"},
        today=TODAY,
    )
    assert problems == []
    assert values["called_at"] == "2024-05-01 09:05" and values["anonymous"] == 1
    values, _ = clean_record(TRAINING, {"held_on": "2024年3月8日", "duration_hours": "1.5"}, today=TODAY)
    assert values["held_on"] == "2024-03-08" and values["duration_hours"] == 1.5


def test_status_transitions():
    S = vocab.DisputeStatus
    assert status_change_problems(S.PENDING, S.MEDIATING) == []
    assert status_change_problems(S.MEDIATING, S.CONCLUDED) == []
    assert status_change_problems(S.CONCLUDED, S.CLOSED_OUT) == []
    assert status_change_problems(S.PENDING, S.CLOSED_OUT) != []
    assert status_change_problems(S.MEDIATING, S.PENDING) != []
    assert "已销号" in status_change_problems(S.CLOSED_OUT, S.MEDIATING)[0].message
    assert status_change_problems(S.PENDING, "完成") != []


def test_result_goes_with_concluded_status():
    assert fields(dispute_problems({"status": "已办结", "concluded_on": "2024-05-02"})) == ["result"]
    assert fields(dispute_problems({"status": "调处中", "result": "调解成功"})) == ["result"]
    assert fields(dispute_problems({"status": "已办结", "result": "撤回"})) == ["concluded_on"]
    assert (
        dispute_problems(
            {
                "status": "已办结",
                "result": "调解成功",
                "concluded_on": "2024-05-02",
                "registered_on": "2024-05-01",
                "agreement": 1,
                "amount_cents": 100,
            }
        )
        == []
    )
    assert fields(
        dispute_problems(
            {"status": "已办结", "result": "调解不成", "concluded_on": "2024-04-02", "registered_on": "2024-05-01"}
        )
    ) == ["concluded_on"]
    assert fields(
        dispute_problems({"status": "已办结", "result": "调解不成", "concluded_on": "2024-05-02", "agreement": 1})
    ) == ["agreement"]
    assert fields(dispute_problems({"amount_cents": 500})) == ["amount_cents"]


def test_parties_hotline_attendance_reason_and_village_code():
    assert fields(party_problems([])) == ["parties"]
    assert fields(hotline_problems({"anonymous": 0, "caller_name": ""})) == ["caller_name"]
    assert hotline_problems({"anonymous": 1, "caller_name": ""}) == []
    assert fields(attendance_problems({"signed_in": 0, "exam_score": 80})) == ["signed_in"]
    assert fields(attendance_problems({"signed_in": 1, "exam_score": 120})) == ["exam_score"]
    assert fields(reason_problems("  ")) == ["reason"]
    assert reason_problems("群众情绪缓和") == []
    assert village_code_problems("500243104201") == []
    assert village_code_problems("50024310420") != []


def test_overdue_rule():
    assert is_overdue("2024-05-01", "调处中", None, days=30, today=dt.date(2024, 6, 1))
    assert not is_overdue("2024-05-01", "调处中", None, days=30, today=dt.date(2024, 5, 31))
    assert not is_overdue("2024-05-01", "已办结", "2024-05-20", days=30, today=dt.date(2024, 12, 1))
    assert is_overdue("2024-05-01", "已办结", "2024-06-15", days=30, today=dt.date(2024, 12, 1))
    assert not is_overdue("2024-05-01", "调处中", None, days=60, today=dt.date(2024, 6, 1))
