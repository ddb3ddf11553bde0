"""The township's overview: which village has reported which month, its last bundle, gaps in its
bundle numbers, and conflicts waiting for a decision.

Rule: a village has **reported** a month when the township has applied a bundle from it whose
``period`` is that month (the period is chosen at export, see :mod:`dudu_desktop.sync.export`).
A reported month with no disputes registered by that village in that month is a **零上报**
(zero report): the village reported, and had nothing to report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dudu_desktop.services import site
from dudu_desktop.sync.merge import _gaps


@dataclass
class Cell:
    reported: bool
    bundles: int
    disputes: int

    @property
    def zero_report(self) -> bool:
        return self.reported and self.disputes == 0


@dataclass
class VillageRow:
    code: str
    name: str
    months: dict = field(default_factory=dict)  # 'YYYY-MM' → Cell
    last_bundle: dict | None = None  # {seq, file_name, at, period, exported_at}
    gaps: list = field(default_factory=list)
    conflicts: int = 0


def reporting_matrix(conn, year: int) -> list[VillageRow]:
    """Villages × the 12 months of ``year``."""
    months = [f"{int(year):04d}-{m:02d}" for m in range(1, 13)]
    reported: dict[tuple[str, str], int] = {}
    for village, period, n in conn.execute(
        "SELECT village_code, period, count(*) FROM sync_imports WHERE period LIKE ? GROUP BY 1, 2",
        (f"{int(year):04d}-%",),
    ):
        reported[(village, period)] = n
    disputes: dict[tuple[str, str], int] = {}
    for village, month, n in conn.execute(
        "SELECT village_code, substr(registered_on, 1, 7), count(*) FROM disputes WHERE deleted = 0 "
        "AND registered_on >= ? AND registered_on < ? GROUP BY 1, 2",
        (f"{int(year):04d}-01-01", f"{int(year) + 1:04d}-01-01"),
    ):
        disputes[(village, month)] = n
    conflicts = dict(
        conn.execute(
            "SELECT village_code, count(*) FROM sync_conflicts WHERE resolved_at IS NULL GROUP BY 1"
        ).fetchall()
    )
    out = []
    info = site.site(conn) or {}
    for v in site.villages(conn):
        if v["code"] == info.get("code"):
            continue
        row = VillageRow(code=v["code"], name=v["name"], conflicts=conflicts.get(v["code"], 0))
        for m in months:
            n = reported.get((v["code"], m), 0)
            row.months[m] = Cell(reported=n > 0, bundles=n, disputes=disputes.get((v["code"], m), 0))
        last = conn.execute(
            "SELECT seq, file_name, at, period, exported_at, full FROM sync_imports "
            "WHERE village_code = ? ORDER BY seq DESC, id DESC LIMIT 1",
            (v["code"],),
        ).fetchone()
        if last:
            row.last_bundle = dict(last)
            row.gaps = _gaps(conn, v["code"], last["seq"], bool(last["full"]))
        out.append(row)
    return out
