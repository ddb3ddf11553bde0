"""The benchmark data (bench/bulk_data.py: raw ``executemany``, audited by batch) keeps ``check``
clean, and an edit made behind its back is still seen (moved here from test_trust_audit.py when
the generator left ``services.demo``, issue 15)."""

from __future__ import annotations

from bench.bulk_data import generate_bulk
from dudu_desktop.services import audit, demo
from dudu_desktop.storage import chain
from tests.conftest import NOW, make_context


def test_benchmark_data_is_no_longer_part_of_the_program():
    assert not hasattr(demo, "generate_bulk") and not hasattr(demo, "BULK_RATIOS")


def test_benchmark_data_leaves_check_clean_and_an_edit_is_seen(tmp_path):
    ctx = make_context(tmp_path / "b.sqlite3", role="township")
    generate_bulk(ctx.conn, disputes=600, villages=3, years=1, seed=2, today=NOW.date())
    assert audit.check(ctx.conn) == []
    rid = ctx.conn.execute("SELECT id FROM training_attendance ORDER BY id LIMIT 1").fetchone()[0]
    ctx.conn.execute("UPDATE training_attendance SET exam_score = 99.5 WHERE id = ?", (rid,))
    assert any(rid in p for p in audit.check(ctx.conn))
    # the side table of a batch entry edited to match: the entry's summary no longer does
    d = chain.stored_digests(ctx.conn, "training_attendance", ids=[rid])[rid]
    ctx.conn.execute("UPDATE audit_rows SET digest = ? WHERE record_id = ?", (d, rid))
    problems = audit.check(ctx.conn)
    assert problems and not any(rid in p for p in problems)
    ctx.conn.close()


def test_check_is_clean_on_100k_rows_of_bench_data(tmp_path):
    """Every row of a ~100k-row county-scale file is covered by a digest (its time is a benchmark figure,
    measured in docs/security.md, not asserted here)."""
    ctx = make_context(tmp_path / "big.sqlite3", role="township")
    generate_bulk(ctx.conn, disputes=25_000, villages=10, years=2, seed=1, today=NOW.date())
    rows = sum(ctx.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in chain.RECORD_TABLES)
    assert rows > 90_000
    assert audit.check(ctx.conn) == []
    ctx.conn.close()
