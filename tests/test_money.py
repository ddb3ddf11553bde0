"""Chinese capital amounts (中文大写金额) for the 人民调解协议书."""

from decimal import Decimal

import pytest

from dudu_desktop.domain.money import amount_in_capitals, to_fen

CASES = [
    # the examples in domain.md and the task
    ("10000", "人民币壹万元整"),
    ("1409.50", "人民币壹仟肆佰零玖元伍角"),
    ("0.05", "人民币伍分"),
    ("100000.07", "人民币壹拾万元零柒分"),
    ("1001", "人民币壹仟零壹元整"),
    ("10010", "人民币壹万零壹拾元整"),
    ("105000000", "人民币壹亿零伍佰万元整"),
    ("0", "人民币零元整"),
    # the worked examples of 《支付结算办法》 (first allowed form where two are given)
    ("6007.14", "人民币陆仟零柒元壹角肆分"),
    ("1680.32", "人民币壹仟陆佰捌拾元零叁角贰分"),
    ("107000.53", "人民币壹拾万柒仟元零伍角叁分"),
    ("16409.02", "人民币壹万陆仟肆佰零玖元零贰分"),
    ("325.04", "人民币叁佰贰拾伍元零肆分"),
    # more zeros: inside a section, whole zero sections, section boundaries
    ("10", "人民币壹拾元整"),
    ("0.50", "人民币伍角"),
    ("0.55", "人民币伍角伍分"),
    ("100000000", "人民币壹亿元整"),
    ("100001000", "人民币壹亿零壹仟元整"),
    ("100010000", "人民币壹亿零壹万元整"),
    ("1000000001", "人民币壹拾亿零壹元整"),
    ("1010101", "人民币壹佰零壹万零壹佰零壹元整"),
    ("20000.30", "人民币贰万元零叁角"),
    ("3000000.04", "人民币叁佰万元零肆分"),
    ("999999999999.99", "人民币玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
]


@pytest.mark.parametrize("yuan, expected", CASES)
def test_standard_cases(yuan, expected):
    assert amount_in_capitals(yuan) == expected
    assert amount_in_capitals(Decimal(yuan)) == expected


def test_int_is_fen():
    assert amount_in_capitals(140950) == "人民币壹仟肆佰零玖元伍角"
    assert amount_in_capitals(5) == "人民币伍分"
    assert amount_in_capitals(0) == "人民币零元整"


def test_rounds_half_up_to_fen():
    assert to_fen("0.005") == 1
    assert to_fen(Decimal("1409.494")) == 140949
    assert amount_in_capitals("9999.995") == "人民币壹万元整"


def test_accepts_currency_sign_and_grouping():
    assert to_fen(" ¥1,409.50 ") == 140950
    assert to_fen("￥10000") == 1000000


def test_prefix_can_be_dropped():
    assert amount_in_capitals("1001", prefix="") == "壹仟零壹元整"


@pytest.mark.parametrize("bad", [-1, "-0.01", Decimal("-5"), "-0.001"])
def test_negative_refused(bad):
    with pytest.raises(ValueError):
        amount_in_capitals(bad)


@pytest.mark.parametrize("bad", ["abc", "", "NaN", Decimal("Infinity"), "1000000000000"])
def test_invalid_refused(bad):
    with pytest.raises(ValueError):
        amount_in_capitals(bad)


@pytest.mark.parametrize("bad", [1.5, True, None])
def test_ambiguous_types_refused(bad):
    with pytest.raises(TypeError):
        amount_in_capitals(bad)
