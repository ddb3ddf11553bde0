"""Amounts of money written in Chinese capital numerals (中文大写金额).

Follows the rules of 《支付结算办法》 (附件 “正确填写票据和结算凭证的基本规定”), which
the 人民调解协议书 uses for 协议金额:

- a run of zeros between two non-zero digits is written as one 零 (壹仟零壹元);
- a whole zero 万/亿 section between non-zero parts is one 零 (壹亿零壹仟元);
- zeros at the end of a 万/亿 section write nothing (壹拾万柒仟元); this is the first of the
  two forms the rules allow (the other being 壹拾万零柒仟元);
- 整 follows 元 when there are no 角 and 分; nothing follows 角 or 分;
- 零 follows 元 when 角 is zero and 分 is not (壹拾万元零柒分), and, again the first allowed
  form, when the 元 digit is zero and 角 is not (壹仟陆佰捌拾元零叁角贰分);
- below one yuan only 角/分 are written (伍分).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")  # within a four-digit section, high to low
_SECTIONS = ("亿", "万", "")  # high to low
MAX_YUAN = 10**12 - 1  # 玖仟玖佰玖拾玖亿…: far beyond any mediated amount


def to_fen(value: int | Decimal | str) -> int:
    """Normalise an amount to whole fen (分).

    ``int`` is already fen; ``Decimal`` and ``str`` are yuan (``"1409.5"``, ``"¥1,409.50"``)
    and are rounded half-up to the fen. Floats are refused (ambiguous unit, binary rounding).
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"amount must be int fen, Decimal or str yuan, not {type(value).__name__}")
    if isinstance(value, int):
        fen = value
    else:
        if isinstance(value, str):
            text = value.strip().lstrip("¥￥").replace(",", "").strip()
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise ValueError(f"not an amount: {text!r}") from None
        if not isinstance(value, Decimal):
            raise TypeError(f"amount must be int fen, Decimal or str yuan, not {type(value).__name__}")
        if not value.is_finite():
            raise ValueError(f"not an amount: {value}")
        if value < 0:
            raise ValueError(f"negative amount: {value}")
        fen = int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if fen < 0:
        raise ValueError(f"negative amount: {fen} fen")
    if fen // 100 > MAX_YUAN:
        raise ValueError(f"amount too large: {fen} fen")
    return fen


def _yuan_in_capitals(yuan: int) -> str:
    """Capital numerals for a positive whole number of yuan, without the 元."""
    out: list[str] = []
    need_zero = False
    for i, section_name in enumerate(_SECTIONS):
        section = yuan // 10 ** (4 * (len(_SECTIONS) - 1 - i)) % 10000
        if section == 0:
            need_zero = bool(out)
            continue
        for place, digit in zip(_PLACES, f"{section:04d}"):
            if digit == "0":
                need_zero = need_zero or bool(out)
                continue
            if need_zero:
                out.append("零")
                need_zero = False
            out.append(DIGITS[int(digit)] + place)
        out.append(section_name)
        need_zero = False  # trailing zeros of a section write nothing
    return "".join(out)


def amount_in_capitals(value: int | Decimal | str, prefix: str = "人民币") -> str:
    """Write an amount as 人民币 + capital numerals: 1409.50 yuan → 人民币壹仟肆佰零玖元伍角.

    ``value`` is int fen, or Decimal/str yuan (see :func:`to_fen`); negative amounts raise
    ``ValueError``.
    """
    total = to_fen(value)
    yuan, jiao, fen = total // 100, total // 10 % 10, total % 10
    if yuan == 0 and jiao == 0 and fen == 0:
        return prefix + "零元整"
    parts = []
    if yuan:
        parts.append(_yuan_in_capitals(yuan) + "元")
        if jiao == 0 and fen == 0:
            parts.append("整")
        elif jiao == 0 or yuan % 10 == 0:
            parts.append("零")
    if jiao:
        parts.append(DIGITS[jiao] + "角")
    if fen:
        parts.append(DIGITS[fen] + "分")
    return prefix + "".join(parts)
