"""The domain's words as SQL literals, built once from :mod:`dudu_desktop.domain.vocab`.

The registers store statuses, results and levels as the Chinese words of the vocabulary. Queries,
partial indexes and triggers that name one write it from here, so a word is spelled in one place
(the vocabulary) and a query can never disagree with the services that store it. The texts are
exactly what the partial index ``disputes_open`` and the follow-up triggers were created with:
SQLite uses a partial index only for a query whose WHERE repeats its terms.
"""

from __future__ import annotations

from collections.abc import Iterable

from dudu_desktop.domain.vocab import (
    DONE_STATUSES,
    OPEN_STATUSES,
    SATISFIED,
    DisputeResult,
    DisputeStatus,
    WarningLevel,
)


def literal(word: str) -> str:
    """``'word'``, quotes doubled."""
    return "'" + word.replace("'", "''") + "'"


def in_list(words: Iterable[str]) -> str:
    """``('a', 'b')`` for ``x IN (...)``."""
    return "(" + ", ".join(literal(w) for w in words) + ")"


OPEN = in_list(OPEN_STATUSES)  # ('待调处', '调处中')
DONE = in_list(DONE_STATUSES)  # ('已办结', '已销号')
CONCLUDED = literal(DisputeStatus.CONCLUDED)  # '已办结'
SUCCESS = literal(DisputeResult.SUCCESS)  # '调解成功'
FAILED = literal(DisputeResult.FAILED)  # '调解不成'
WITHDRAWN = literal(DisputeResult.WITHDRAWN)  # '撤回'
RED, YELLOW, BLUE = (literal(level) for level in WarningLevel)
SATISFIED_IN = in_list(SATISFIED)  # ('满意', '基本满意')

#: Open disputes, written as the partial index ``disputes_open`` says it.
IS_OPEN = f"status IN {OPEN}"

#: 预警 sorted by severity 红 → 黄 → 蓝 (then anything else); ``{}`` is the operand.
LEVEL_RANK = (
    "(CASE {} "
    + " ".join(f"WHEN {literal(level)} THEN {rank}" for rank, level in enumerate(WarningLevel))
    + f" ELSE {len(WarningLevel)} END)"
)
