"""domain/masking.py: ID numbers, phones, names and addresses as printouts show them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dudu_desktop.domain.fields import HOTLINE, PARTY, TRAINING
from dudu_desktop.domain.masking import mask_address, mask_field, mask_id, mask_name, mask_phone


@pytest.mark.parametrize(
    "value, masked",
    [
        ("110101199003071234", "110101********1234"),
        ("11010519491231002X", "110105********002X"),
        ("110105491231002", "110105*****1002"),  # 15-digit ID
        (" 110101199003071234 ", "110101********1234"),
        ("", ""),
        (None, ""),
        ("12345", "****5"),
    ],
)
def test_mask_id(value, masked):
    assert mask_id(value) == masked


@pytest.mark.parametrize(
    "value, masked", [("18012341999", "180****1999"), ("023-77123456", "023*****3456"), ("110", "**0"), ("", "")]
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


@pytest.mark.parametrize(
    "value, masked",
    [
        ("张三", "张*"),
        ("张三丰", "张**"),
        ("欧阳娜娜", "欧阳**"),
        ("欧阳", "欧*"),
        ("张三、李四", "张*、李*"),
        ("阿依古丽·买买提", "阿***·***"),
        ("王", "王"),
        ("", ""),
    ],
)
def test_mask_name(value, masked):
    assert mask_name(value) == masked


@pytest.mark.parametrize(
    "value, masked",
    [
        ("都督村3组12号", "都督村****"),
        ("重庆市石柱县都督乡都督村3组", "重庆市石柱县都督乡都督村****"),
        ("解放路12号", "解放路****"),
        ("都督村", "都督****"),
    ],
)
def test_mask_address(value, masked):
    assert mask_address(value) == masked


def test_mask_field_follows_the_sensitive_flag():
    assert mask_field(PARTY["id_number"], "110101199003071234") == "110101********1234"
    assert mask_field(PARTY["phone"], "18012341999") == "180****1999"
    assert mask_field(PARTY["name"], "张三丰") == "张**"
    assert mask_field(HOTLINE["caller_name"], "李四") == "李*"
    assert mask_field(TRAINING["topic"], "张三丰讲民法典") == "张三丰讲民法典"  # not sensitive


@given(st.text(alphabet="0123456789X", min_size=11, max_size=18))
def test_masked_ids_keep_length_and_hide_the_middle(value):
    masked = mask_id(value)
    assert len(masked) == len(value)
    assert masked[:6] == value[:6] and masked[-4:] == value[-4:]
    assert set(masked[6:-4]) == {"*"}


@given(st.text(alphabet="赵钱孙李周吴郑王冯陈", min_size=2, max_size=4))
def test_masked_names_keep_only_the_surname(value):
    masked = mask_name(value)
    assert len(masked) == len(value) and masked[0] == value[0] and set(masked[1:]) == {"*"}
