#!/usr/bin/env python3
"""Benchmark: apply a bundle of N disputes (default 100,000) into a fresh township database, next to
``sqlite-utils insert --csv`` of the same disputes CSV into a fresh WAL database.

    python3 bench/bench_import.py [--rows 100000] [--keep DIR]

The bundle is built directly (rows generated in Python, not through the per-record services):
disputes with every column, one audit entry per dispute, the village row. ``apply_bundle`` is
timed end to end: the automatic backup, reading and checking the zip, validating every row with
the domain rules, the one transaction with its batched audit entries and the search index
triggers. ``sqlite-utils`` is timed as a subprocess (its interpreter start-up included, also shown
separately)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dudu_desktop.domain import vocab  # noqa: E402
from dudu_desktop.services import site  # noqa: E402
from dudu_desktop.services.context import Context  # noqa: E402
from dudu_desktop.storage.db import open_database, schema_version  # noqa: E402
from dudu_desktop.storage.schema import RECORD_TABLES  # noqa: E402
from dudu_desktop.sync import bundle as fmt  # noqa: E402
from dudu_desktop.sync.container import write_zip_atomic  # noqa: E402
from dudu_desktop.sync.merge import apply_bundle  # noqa: E402
from dudu_desktop.sync.state import bundle_columns  # noqa: E402

TOWNSHIP, VILLAGE, VILLAGE_NAME = "500243104000", "500243104201", "都督村"
NOW = dt.datetime(2024, 12, 20, 10, 0, 0)


def dispute_rows(n: int, columns: list[str], seed: int = 7):
    rnd = random.Random(seed)
    start = dt.date(2024, 1, 1)
    base_ms = int(dt.datetime(2024, 1, 1).timestamp() * 1000)
    for i in range(n):
        registered = start + dt.timedelta(days=rnd.randrange(340))
        done = rnd.random() < 0.7
        ms = base_ms + i * 300
        rid = str(uuid.UUID(int=(ms << 80) | (0x7 << 76) | (0x2 << 62) | rnd.getrandbits(62)))
        a, b = "张三" + str(i % 97), "李四" + str(i % 89)
        row = {
            "id": rid,
            "village_code": VILLAGE,
            "created_at": f"{registered} 09:00:00",
            "updated_at": f"{registered} 10:00:00",
            "created_by": "cadre",
            "updated_by": "cadre",
            "version": 3 if done else 1,
            "deleted": 0,
            "change_seq": i + 1,
            "serial_no": f"2024-{i + 1:06d}",
            "registered_on": registered.isoformat(),
            "dispute_type": rnd.choice(vocab.DISPUTE_TYPES),
            "summary": f"{a}与邻居{b}因房屋滴水、排水沟堵塞问题发生纠纷，双方多次争吵，要求村调委会调解。",
            "party_names": f"{a}、{b}",
            "source": rnd.choice(vocab.DISPUTE_SOURCES),
            "method": "人民调解",
            "mediator": "冉光明",
            "level": "蓝",
            "level_reason": "",
            "status": "已办结" if done else "调处中",
            "result": "调解成功" if done else "",
            "agreement": 1 if done else 0,
            "agreement_terms": "双方自愿达成协议，今后互相尊重。" if done else "",
            "amount_cents": 50000 if done else None,
            "performance_terms": "",
            "concluded_on": (registered + dt.timedelta(days=5)).isoformat() if done else None,
            "closed_out_on": None,
            "prevented_criminal": None,
            "prevented_criminal_people": None,
            "prevented_petition": None,
            "prevented_petition_people": None,
            "notes": "",
        }
        yield [row.get(c, "") for c in columns]  # a column added since (e.g. 履行地点): empty text


def build_bundle(folder: Path, n: int) -> tuple[Path, Path]:
    probe = open_database(folder / "probe.sqlite3")
    cols = bundle_columns(probe, "disputes")
    version = schema_version(probe)
    empty = {t: bundle_columns(probe, t) for t in RECORD_TABLES}
    probe.close()
    names = [c["name"] for c in cols]
    rows = list(dispute_rows(n, names))
    tables = {}
    for t in RECORD_TABLES:
        fields = [{"name": c["name"], "type": fmt.frictionless_type(c["type"])} for c in empty[t]]
        data = rows if t == "disputes" else []
        tables[t] = (fields, fmt.encode_csv([f["name"] for f in fields], data), len(data))
    audit_rows = [
        (
            i + 1,
            str(uuid.uuid4()),
            r[names.index("created_at")],
            "cadre",
            "create_dispute",
            "disputes",
            r[0],
            VILLAGE,
            json.dumps({"summary": [None, "…"]}, ensure_ascii=False),
            "",
            "",
            "0" * 64,
            "0" * 64,
        )
        for i, r in enumerate(rows)
    ]
    tables["audit_log"] = (
        [{"name": c, "type": "string"} for c in fmt.AUDIT_COLUMNS],
        fmt.encode_csv(list(fmt.AUDIT_COLUMNS), audit_rows),
        len(audit_rows),
    )
    tables["villages"] = (
        [{"name": c, "type": "string"} for c in fmt.VILLAGE_COLUMNS],
        fmt.encode_csv(
            list(fmt.VILLAGE_COLUMNS), [(VILLAGE, VILLAGE_NAME, TOWNSHIP, "都督乡", "2024-01-01", "2024-01-01")]
        ),
        1,
    )
    meta = {
        "schema_version": version,
        "village_code": VILLAGE,
        "village_name": VILLAGE_NAME,
        "township_code": TOWNSHIP,
        "sequence": 1,
        "from_seq": 0,
        "to_seq": n,
        "full": True,
        "period": "2024-12",
        "created_at": NOW.isoformat(),
    }
    descriptor = json.dumps(fmt.build_descriptor(meta, tables), ensure_ascii=False).encode()
    path = folder / fmt.bundle_name(VILLAGE, 1, NOW.date())
    write_zip_atomic(path, [(fmt.DESCRIPTOR, descriptor)] + [(f"{t}.csv", d) for t, (_f, d, _n) in tables.items()])
    csv_path = folder / "disputes.csv"
    csv_path.write_bytes(tables["disputes"][1])
    return path, csv_path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="dudu-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DUDU_HOME", str(folder / "home"))
    try:
        t0 = time.perf_counter()
        bundle, csv_path = build_bundle(folder, args.rows)
        print(
            f"built {bundle.name}: {args.rows} disputes, {bundle.stat().st_size / 1e6:.1f} MB zip, "
            f"{csv_path.stat().st_size / 1e6:.1f} MB CSV ({time.perf_counter() - t0:.1f} s)"
        )

        town_path = folder / "town.sqlite3"
        ctx = Context(conn=open_database(town_path), user="bench", clock=lambda: NOW)
        site.init_site(ctx, role="township", code=TOWNSHIP, name="都督乡")
        site.save_village(ctx, VILLAGE, VILLAGE_NAME)
        t0 = time.perf_counter()
        result = apply_bundle(ctx, bundle, allow_unsealed=True)  # a plain bundle (no keys set up)
        ours = time.perf_counter() - t0
        assert result.totals["new"] == args.rows, result.totals
        assert ctx.conn.execute("SELECT count(*) FROM disputes").fetchone()[0] == args.rows
        ctx.conn.close()

        su_db = folder / "su.sqlite3"
        conn = sqlite3.connect(su_db)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        exe = shutil.which("sqlite-utils") or "sqlite-utils"
        t0 = time.perf_counter()
        subprocess.run([exe, "--version"], check=True, capture_output=True)
        startup = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([exe, "insert", str(su_db), "disputes", str(csv_path), "--csv"], check=True)
        theirs = time.perf_counter() - t0
        n = sqlite3.connect(su_db).execute("SELECT count(*) FROM disputes").fetchone()[0]
        assert n == args.rows, n

        print(f"apply_bundle:               {ours:7.2f} s  {args.rows / ours:10,.0f} rows/s")
        print(
            f"sqlite-utils insert --csv:  {theirs:7.2f} s  {args.rows / theirs:10,.0f} rows/s "
            f"(of which interpreter start-up {startup:.2f} s)"
        )
        print(f"ratio (sqlite-utils time / apply_bundle time): {theirs / ours:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
