"""Who is acting, on which database, at what time: passed to every service function."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from dudu_desktop.domain.problems import PermissionDenied
from dudu_desktop.domain.vocab import ROLE_PERMISSIONS, Permission, Role
from dudu_desktop.i18n import _


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


@dataclass
class Context:
    conn: sqlite3.Connection  # a plain connection (storage.db.open_database / connect)
    user: str = "system"
    role: Role = Role.ADMIN
    clock: Callable[[], dt.datetime] = field(default=_now)

    def on(self, conn: sqlite3.Connection) -> Context:
        """The same person and clock on another connection (a worker thread opens its own)."""
        return dataclasses.replace(self, conn=conn)

    def now(self) -> dt.datetime:
        return self.clock()

    def now_text(self) -> str:
        return self.clock().isoformat(sep=" ", timespec="seconds")

    def today(self) -> dt.date:
        return self.clock().date()

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[Role(self.role)]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(_("Your role ({role}) is not allowed to do this.").format(role=self.role))
