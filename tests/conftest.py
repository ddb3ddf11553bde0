"""Shared fixtures: a fresh database per test, set up as a village or the township, and a
context with a fixed clock so that dates in tests are predictable."""

from __future__ import annotations

import datetime as dt
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("DUDU_LANG", "zh_CN")

from dudu_desktop.i18n import set_locale  # noqa: E402
from dudu_desktop.services import site  # noqa: E402
from dudu_desktop.services.context import Context  # noqa: E402
from dudu_desktop.storage.db import open_database  # noqa: E402

VILLAGE_CODE = "500243104201"
VILLAGE_NAME = "都督村"
TOWNSHIP_CODE = "500243104000"
NOW = dt.datetime(2024, 12, 20, 10, 0, 0)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test touches the real per-user data folder; messages are Chinese."""
    monkeypatch.setenv("DUDU_HOME", str(tmp_path_factory.mktemp("home")))
    set_locale("zh_CN")


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "test.sqlite3"


def make_context(path, *, role="village", clock_at=NOW, user="tester") -> Context:
    database = open_database(path)
    ctx = Context(conn=database, user=user, clock=lambda: clock_at)
    if role == "village":
        site.init_site(
            ctx,
            role="village",
            code=VILLAGE_CODE,
            name=VILLAGE_NAME,
            township_code=TOWNSHIP_CODE,
            township_name="都督乡",
        )
    else:
        site.init_site(ctx, role="township", code=TOWNSHIP_CODE, name="都督乡")
    return ctx


@pytest.fixture
def ctx(db_path) -> Context:
    """A village database (都督村) with the clock at 2024-12-20 10:00."""
    context = make_context(db_path)
    yield context
    context.conn.close()


@pytest.fixture
def township_ctx(tmp_path) -> Context:
    context = make_context(tmp_path / "township.sqlite3", role="township")
    yield context
    context.conn.close()
