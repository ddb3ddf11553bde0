"""Listing a register with filters: the one query builder behind the register pages, the
ledgers and the spreadsheet exports. Widgets never write SQL; they pass :class:`Filters`.
The registers' tables and columns are in :mod:`dudu_desktop.storage.registers`; the search box's
clauses come from :mod:`dudu_desktop.storage.search`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from dudu_desktop.storage import search
from dudu_desktop.storage import vocab_sql as V
from dudu_desktop.storage.registers import meta

#: A successful mediation is due its follow-up visit (回访) this many days after it was concluded.
FOLLOWUP_AFTER_DAYS = 7


@dataclass(frozen=True)
class Filters:
    village: str | None = None
    month: str | None = None  # 'YYYY-MM'
    date_from: str | None = None  # inclusive 'YYYY-MM-DD'
    date_to: str | None = None  # inclusive 'YYYY-MM-DD'
    type: str | None = None
    status: str | None = None
    level: str | None = None
    overdue: bool = False
    search: str | None = None
    open_only: bool = False  # disputes still 待调处 or 调处中
    followup_due: bool = False  # disputes due a follow-up visit (see services/home.py)
    include_deleted: bool = False

    def with_(self, **changes) -> Filters:
        return replace(self, **changes)


def where_clause(
    register: str,
    f: Filters,
    *,
    today: dt.date | None = None,
    overdue_days: int = 30,
    alias: str = "",
    search_index: bool = True,
) -> tuple[str, list]:
    """``(sql, args)`` for the WHERE part (without the keyword); always at least ``1``.

    The forms are chosen for the indexes of migration ``0007_speed`` (storage/speed.py): the
    literal ``deleted = 0`` and open-status (``vocab_sql.IS_OPEN``) terms let SQLite use the partial
    indexes. ``search_index=False`` searches with LIKE only (the "scan" strategy of
    :func:`dudu_desktop.storage.search.choose`; the same rows)."""
    m = meta(register)
    a = f"{alias}." if alias else ""
    parts: list[str] = []
    args: list = []
    if not f.include_deleted:
        parts.append(f"{a}deleted = 0")
    if f.village:
        parts.append(f"{a}village_code = ?")
        args.append(f.village)
    if f.month:
        y, mo = (int(x) for x in f.month.split("-"))
        start = dt.date(y, mo, 1)
        end = dt.date(y + (mo == 12), mo % 12 + 1, 1)
        parts.append(f"{a}{m.date} >= ? AND {a}{m.date} < ?")
        args += [start.isoformat(), end.isoformat()]
    if f.date_from:
        parts.append(f"{a}{m.date} >= ?")
        args.append(f.date_from)
    if f.date_to:
        parts.append(f"{a}{m.date} < date(?, '+1 day')")
        args.append(f.date_to)
    if f.type:
        parts.append(f"{a}{m.type} = ?")
        args.append(f.type)
    if f.status and m.status:
        parts.append(f"{a}{m.status} = ?")
        args.append(f.status)
    if f.level and m.level:
        parts.append(f"{a}{m.level} = ?")
        args.append(f.level)
    if f.overdue and register == "disputes":
        # still open (待调处/调处中 = not 已办结/已销号) and date(registered_on, +days) < today
        today = today or dt.date.today()
        parts.append(f"({a}{V.IS_OPEN} AND {a}registered_on < ?)")
        args.append((today - dt.timedelta(days=overdue_days)).isoformat())
    if f.open_only and register == "disputes":
        parts.append(f"{a}{V.IS_OPEN}")
    if f.followup_due and register == "disputes":
        today = today or dt.date.today()
        if f.include_deleted:
            parts.append(
                f"({a}status = {V.CONCLUDED} AND {a}result = {V.SUCCESS} AND {a}concluded_on <= ? "
                f"AND NOT EXISTS "
                f"(SELECT 1 FROM dispute_followups fu WHERE fu.dispute_id = {a or m.table + '.'}id "
                f"AND fu.deleted = 0))"
            )
        else:  # the same rows, from the table the triggers keep (storage/speed.py)
            parts.append(f"{a}id IN (SELECT dispute_id FROM dispute_followup_due WHERE concluded_on <= ?)")
        args.append((today - dt.timedelta(days=FOLLOWUP_AFTER_DAYS)).isoformat())
    if f.search:
        sql, sargs = search.search_clause(register, f.search, alias=alias, use_index=search_index)
        parts.append(sql)
        args += sargs
    return (" AND ".join(parts) or "1"), args


def search_clause(register: str, text: str, *, alias: str = "") -> tuple[str, list]:
    """Substring search over the register's text columns (every word must appear): words of 3+
    characters through the FTS5 trigram index, shorter ones by LIKE (see storage/search.py)."""
    return search.search_clause(register, text, alias=alias)


def like_clause(register: str, text: str, *, alias: str = "") -> tuple[str, list]:
    """The same search with LIKE only (no index): the reference the index is checked against."""
    return search.search_clause(register, text, alias=alias, use_index=False)


def count_rows(conn, register: str, f: Filters, **kw) -> int:
    where, args = where_clause(register, f, **kw)
    return conn.execute(f"SELECT count(*) FROM {meta(register).table} WHERE {where}", args).fetchone()[0]


def sort_key(register: str, order_by: str | None = None) -> tuple[str, ...]:
    """The full order of a list sorted by ``order_by``: the column, then the register's date, then
    ``id`` (unique, so the order is total and pages can continue from a row: keyset paging).
    Every sortable column has an index in this order (storage/speed.py)."""
    m = meta(register)
    col = order_by or m.date
    if not col.replace("_", "").isalnum():
        raise ValueError(f"not a column: {col}")
    return (col, "id") if col == m.date else (col, m.date, "id")


#: Columns sorted by meaning, not by character code: 预警 by severity 红 → 黄 → 蓝 (issue 12).
#: ``{}`` is the operand: the column in ORDER BY, a parameter ``?`` in a keyset comparison.
SORT_EXPRESSIONS = {("disputes", "level"): V.LEVEL_RANK}


def _sort_sql(register: str, key: str, operand: str | None = None) -> str:
    expression = SORT_EXPRESSIONS.get((register, key))
    return expression.format(operand or key) if expression else (operand or key)


#: Offsets above this are found on the index first (``rowid IN (… LIMIT … OFFSET …)``).
DEFERRED_OFFSET = 1000


def fetch_rows(
    conn,
    register: str,
    f: Filters,
    *,
    order_by: str | None = None,
    descending: bool = False,
    limit: int = -1,
    offset: int = 0,
    columns: str = "*",
    after: tuple | None = None,
    before: tuple | None = None,
    from_end: bool = False,
    search_index: bool | None = None,
    **kw,
) -> list[dict]:
    """Rows in a stable order (:func:`sort_key`) for a window of ``limit`` from ``offset``.

    Paging without reading the rows skipped (what makes a jump to the end of a million rows fast):

    * ``after=key`` / ``before=key`` (the :func:`sort_key` values of a row): the rows right after
      / right before that row in this order (keyset paging; ``offset`` counts from there);
    * ``from_end=True``: ``offset`` counts from the last row (the query runs in the opposite
      order and the rows are turned back), so the last page is as quick as the first;
    * a large ``offset`` is first resolved on the index alone, then only ``limit`` rows are read.

    With a search, ``search_index=None`` lets :func:`dudu_desktop.storage.search.choose` pick
    between driving the query from the search index and walking the sort index with LIKE."""
    m = meta(register)
    keys = sort_key(register, order_by)
    if search_index is None:
        search_index = True
        if f.search and limit >= 0:
            search_index = search.choose(conn, register, f.search) == "index"
    where, args = where_clause(register, f, search_index=search_index, **kw)
    reverse = bool(before) or from_end
    desc = descending != reverse
    mark = after or before
    if mark:
        if len(mark) != len(keys):
            raise ValueError("the key must have a value for each sort column")
        where += (
            f" AND ({', '.join(_sort_sql(register, k) for k in keys)}) {'<' if desc else '>'} "
            f"({', '.join(_sort_sql(register, k, '?') for k in keys)})"
        )
        args = [*args, *mark]
    direction = "DESC" if desc else "ASC"
    order = ", ".join(f"{_sort_sql(register, k)} {direction}" for k in keys)
    if offset > DEFERRED_OFFSET and limit >= 0:
        sql = (
            f"SELECT {columns} FROM {m.table} WHERE rowid IN (SELECT rowid FROM {m.table} WHERE {where} "
            f"ORDER BY {order} LIMIT ? OFFSET ?) ORDER BY {order}"
        )
    else:
        sql = f"SELECT {columns} FROM {m.table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = [dict(r) for r in conn.execute(sql, [*args, limit, offset])]
    if reverse:
        rows.reverse()
    return rows
