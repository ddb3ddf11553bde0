"""Benchmark data at county scale (issue 7; moved out of ``services.demo`` by issue 15): a
township database of up to millions of records written with raw ``executemany``, for the
benchmarks (bench/bench.py) and the tests that need big tables. Not part of the program: the
program's demo data (``services.demo.generate``) goes through the services, validated and audited
record by record; this writes rows directly, audited by batch (``check`` stays clean on it)."""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid

from dudu_desktop.domain import vocab
from dudu_desktop.services import audit, site
from dudu_desktop.services.demo import (
    ANSWERS,
    MEDIATORS,
    QUESTIONS,
    SPEAKERS,
    STORIES,
    TOWNSHIP,
    TRAINING_TOPICS,
    TRAINING_WEIGHTS,
    TYPE_WEIGHTS,
    VILLAGE_NAMES,
    _Gen,
)
from dudu_desktop.storage import search, speed
from dudu_desktop.storage.db import transaction
from dudu_desktop.storage.schema import RECORD_TABLES

#: Rows of each register per dispute in :func:`generate_bulk` (a county's proportions, roughly).
BULK_RATIOS = {"trainings": 1 / 20, "hotline": 1 / 4, "publicity": 1 / 40}
BULK_BATCH = 100_000


def _bulk_ids(rnd: random.Random, start: dt.datetime):
    """Time-ordered UUIDs (the layout of storage/ids.py) from a seeded generator: repeatable."""
    ms = int(start.timestamp() * 1000)
    while True:
        ms += 1
        value = (ms << 80) | rnd.getrandbits(80)
        value = (value & ~(0xF << 76)) | (0x7 << 76)
        value = (value & ~(0x3 << 62)) | (0x2 << 62)
        yield str(uuid.UUID(int=value))


def generate_bulk(
    conn,
    *,
    disputes: int = 1_000_000,
    villages: int = 200,
    year: int = 2024,
    years: int = 10,
    seed: int = 1,
    today: dt.date | None = None,
    user: str = "bench",
    progress=None,
) -> dict:
    """**For benchmarks only**: fill a township database with ``disputes`` disputes (each with two
    parties, and a follow-up visit when mediated successfully) plus proportional trainings (with
    attendance), hotline calls and publicity events (with materials) — see :data:`BULK_RATIOS` —
    across ``villages`` villages, dated over the ``years`` years ending with ``year``.

    Rows are written directly with ``executemany`` (no per-record validation), one transaction
    per :data:`BULK_BATCH` rows with **one audit entry per batch** (``action='bulk_demo'``; every
    row's ``change_seq`` is its batch entry), so a million disputes take minutes, not hours. The
    search-index triggers run as for any insert. Repeatable for a given seed. Returns the row
    counts per table. Use ``services.demo.generate`` for a realistic, fully audited demo instead."""
    rnd = random.Random(seed)
    last_day = min(dt.date(year, 12, 31), today or dt.date(year, 12, 31))
    first_day = dt.date(year - years + 1, 1, 1)
    span = (last_day - first_day).days
    ids = _bulk_ids(rnd, dt.datetime(year - years + 1, 1, 1))
    now = f"{last_day} 12:00:00"
    info = site.site(conn)
    if info is None:
        with transaction(conn):
            value = {
                "role": "township",
                "code": TOWNSHIP[0],
                "name": TOWNSHIP[1],
                "township_code": TOWNSHIP[0],
                "township_name": TOWNSHIP[1],
            }
            conn.execute(
                "INSERT INTO settings (key, value) VALUES ('site', ?)", (json.dumps(value, ensure_ascii=False),)
            )
        info = site.site(conn)
    codes = [f"{info['township_code'][:9]}{201 + i:03d}" for i in range(villages)]
    with transaction(conn):
        conn.executemany(
            "INSERT OR IGNORE INTO villages (code, name, township_code, township_name, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    c,
                    VILLAGE_NAMES[i % len(VILLAGE_NAMES)]
                    + (str(i // len(VILLAGE_NAMES) + 1) if i >= len(VILLAGE_NAMES) else ""),
                    info["township_code"],
                    info["township_name"],
                    now,
                    now,
                )
                for i, c in enumerate(codes)
            ],
        )
    gen = _Gen(seed, year, last_day)
    gen.rnd = rnd
    counts: dict[str, int] = {}
    # Indexes and triggers of the register tables are set aside during the load and rebuilt after it
    # (the search index, follow-ups due): the same end state, several times faster than row by row.
    marks = ", ".join("?" * len(RECORD_TABLES))
    saved = conn.execute(
        f"SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        f"AND sql IS NOT NULL AND tbl_name IN ({marks})",
        RECORD_TABLES,
    ).fetchall()
    with transaction(conn):
        for kind, name, _sql in saved:
            conn.execute(f"DROP {kind.upper()} {name}")
    common = (
        "id",
        "village_code",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "version",
        "deleted",
        "change_seq",
    )

    def sql(table, cols):
        names = common + cols
        return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"

    def flush(batches: dict[str, tuple[str, list]]):
        with transaction(conn):
            total = sum(len(rows) for _s, rows in batches.values())
            seq = audit.append(
                conn,
                at=now,
                user=user,
                action="bulk_demo",
                changes={t: len(rows) for t, (_s, rows) in batches.items()},
                reason=f"benchmark data ({total} rows)",
            )
            for table, (statement, rows) in batches.items():
                last_rowid = conn.execute(f"SELECT coalesce(max(rowid), 0) FROM {table}").fetchone()[0]
                conn.executemany(statement, [(*r[:8], seq, *r[9:]) for r in rows])
                audit.seal_rows(conn, seq, table, after_rowid=last_rowid)  # the rows' digests, for check
                counts[table] = counts.get(table, 0) + len(rows)
        if progress:
            progress(counts)

    def day(offset=None):
        return first_day + dt.timedelta(days=rnd.randrange(span + 1) if offset is None else offset)

    # --- disputes, parties, follow-ups
    d_cols = (
        "serial_no",
        "registered_on",
        "dispute_type",
        "summary",
        "party_names",
        "source",
        "method",
        "mediator",
        "level",
        "level_reason",
        "status",
        "result",
        "agreement",
        "agreement_terms",
        "amount_cents",
        "performance_terms",
        "concluded_on",
        "closed_out_on",
        "prevented_criminal",
        "prevented_criminal_people",
        "prevented_petition",
        "prevented_petition_people",
        "notes",
    )
    p_cols = (
        "dispute_id",
        "person_id",
        "role",
        "position",
        "name",
        "gender",
        "ethnicity",
        "age",
        "phone",
        "id_number",
        "address",
    )
    f_cols = ("dispute_id", "visited_on", "performance", "satisfaction", "visitor", "notes")
    serials: dict[tuple[str, int], int] = {}
    batch = {
        "disputes": (sql("disputes", d_cols), []),
        "dispute_parties": (sql("dispute_parties", p_cols), []),
        "dispute_followups": (sql("dispute_followups", f_cols), []),
    }
    results, result_w = tuple(vocab.DisputeResult), (92, 5, 3)
    for n in range(disputes):
        code = codes[rnd.randrange(villages)]
        vname = "村"
        registered = day()
        dtype = rnd.choices(vocab.DISPUTE_TYPES, TYPE_WEIGHTS)[0]
        a, b = gen.name(), gen.name()
        level = rnd.choices(("蓝", "黄", "红"), (80, 16, 4))[0]
        age = (last_day - registered).days
        status, result, concluded, closed = "待调处", "", None, None
        if age >= 3 or rnd.random() < 0.3:
            status = "调处中"
            if age >= 60 or rnd.random() < 0.4:
                if rnd.random() > 0.01 or age < 60:  # 1 % of old cases are still open (overdue)
                    concluded = registered + dt.timedelta(days=min(age, rnd.choice((1, 3, 5, 7, 10, 15, 20, 28, 35))))
                    result = rnd.choices(results, result_w)[0]
                    status = "已办结"
        visited = None
        if result == "调解成功" and (last_day - concluded).days >= 14:
            visited = concluded + dt.timedelta(days=rnd.randrange(7, 14))
            if rnd.random() < 0.8:
                status, closed = "已销号", visited
        amount = rnd.choice((None, None, 50000, 120000, 300000, 140950, 1000000)) if result == "调解成功" else None
        key = (code, registered.year)
        serials[key] = serials.get(key, 0) + 1
        did = next(ids)
        stamp = f"{registered} 09:{rnd.randrange(60):02d}:00"
        changed = f"{closed or concluded or registered} 16:00:00"
        batch["disputes"][1].append(
            (
                did,
                code,
                stamp,
                changed,
                user,
                user,
                1 + (status != "待调处") + bool(concluded) + bool(closed),
                0,
                0,
                f"{registered.year}-{serials[key]:03d}",
                registered.isoformat(),
                dtype,
                rnd.choice(STORIES[dtype]).format(a=a, b=b),
                f"{a}、{b}",
                rnd.choices(vocab.DISPUTE_SOURCES, (40, 45, 8, 3, 4))[0],
                "人民调解",
                rnd.choice(MEDIATORS),
                level,
                "" if level == "蓝" else "涉及人数较多，情绪激动" if level == "黄" else "有激化为民转刑案件的风险",
                status,
                result,
                int(result == "调解成功"),
                "双方自愿达成如下协议：各自退让，今后互相尊重，和睦相处。" if result == "调解成功" else "",
                amount,
                "协议签订之日起十日内履行完毕。" if amount else "",
                concluded.isoformat() if concluded else None,
                closed.isoformat() if closed else None,
                1 if level == "红" else None,
                2 if level == "红" else None,
                None,
                None,
                "",
            )
        )
        for pos, (role, name) in enumerate((("申请人", a), ("被申请人", b))):
            gender = rnd.choice(vocab.GENDERS)
            page = rnd.randrange(22, 80)
            batch["dispute_parties"][1].append(
                (
                    next(ids),
                    code,
                    stamp,
                    stamp,
                    user,
                    user,
                    1,
                    0,
                    0,
                    did,
                    None,
                    role,
                    pos,
                    name,
                    gender,
                    "汉族" if rnd.random() < 0.8 else "土家族",
                    page,
                    gen.phone(),
                    gen.id_number(dt.date(registered.year - page, 1 + pos * 5, 1 + n % 28), gender)
                    if rnd.random() < 0.6
                    else "",
                    f"{vname}{rnd.randrange(1, 9)}组",
                )
            )
        if visited:
            batch["dispute_followups"][1].append(
                (
                    next(ids),
                    code,
                    f"{visited} 10:00:00",
                    f"{visited} 10:00:00",
                    user,
                    user,
                    1,
                    0,
                    0,
                    did,
                    visited.isoformat(),
                    "已履行",
                    rnd.choices(vocab.SATISFACTION, (85, 12, 3))[0],
                    rnd.choice(MEDIATORS),
                    "",
                )
            )
        if len(batch["disputes"][1]) >= BULK_BATCH // 4:
            flush(batch)
            for _s, rows in batch.values():
                rows.clear()
    if batch["disputes"][1]:
        flush(batch)

    # --- trainings with attendance
    t_cols = ("held_on", "topic", "training_type", "speaker", "location", "duration_hours", "exam_held", "notes")
    a_cols = (
        "training_id",
        "person_id",
        "name",
        "position",
        "phone",
        "signed_in",
        "signed_at",
        "exam_score",
        "exam_passed",
    )
    batch = {
        "trainings": (sql("trainings", t_cols), []),
        "training_attendance": (sql("training_attendance", a_cols), []),
    }
    for _n in range(int(disputes * BULK_RATIOS["trainings"])):
        code = codes[rnd.randrange(villages)]
        held = day()
        ttype = rnd.choices(vocab.TRAINING_TYPES, TRAINING_WEIGHTS)[0]
        exam = ttype in ("村两委干部法治培训", "专题学习") and rnd.random() < 0.5
        tid = next(ids)
        stamp = f"{held} 09:00:00"
        batch["trainings"][1].append(
            (
                tid,
                code,
                stamp,
                stamp,
                user,
                user,
                1,
                0,
                0,
                held.isoformat(),
                rnd.choice(TRAINING_TOPICS[ttype]),
                ttype,
                rnd.choice(SPEAKERS),
                "村便民服务中心会议室",
                rnd.choice((1, 1.5, 2, 3)),
                int(exam),
                "",
            )
        )
        for _i in range(rnd.randrange(6, 11)):
            present = rnd.random() < 0.88
            score = rnd.randrange(50, 100) if exam and present else None
            batch["training_attendance"][1].append(
                (
                    next(ids),
                    code,
                    stamp,
                    stamp,
                    user,
                    user,
                    1,
                    0,
                    0,
                    tid,
                    None,
                    gen.name(),
                    rnd.choice(("村支书", "村主任", "村委委员", "网格员", "村民代表")),
                    "",
                    int(present),
                    f"{held} 09:0{rnd.randrange(10)}" if present else None,
                    score,
                    None if score is None else int(score >= 60),
                )
            )
        if len(batch["trainings"][1]) >= BULK_BATCH // 10:
            flush(batch)
            for _s, rows in batch.values():
                rows.clear()
    if batch["trainings"][1]:
        flush(batch)

    # --- hotline calls
    h_cols = (
        "called_at",
        "channel",
        "anonymous",
        "caller_name",
        "caller_phone",
        "category",
        "question",
        "answer",
        "referral",
        "legal_aid",
        "followup_on",
        "satisfaction",
        "handler",
    )
    batch = {"hotline_calls": (sql("hotline_calls", h_cols), [])}
    categories = tuple(QUESTIONS)
    for _n in range(int(disputes * BULK_RATIOS["hotline"])):
        code = codes[rnd.randrange(villages)]
        when = day()
        category = rnd.choice(categories)
        anonymous = rnd.random() < 0.2
        stamp = f"{when} {rnd.randrange(8, 18):02d}:{rnd.randrange(60):02d}"
        batch["hotline_calls"][1].append(
            (
                next(ids),
                code,
                stamp + ":00",
                stamp + ":00",
                user,
                user,
                1,
                0,
                0,
                stamp,
                rnd.choices(vocab.HOTLINE_CHANNELS, (30, 60, 10))[0],
                int(anonymous),
                "" if anonymous else gen.name(),
                gen.phone() if rnd.random() < 0.7 else "",
                category,
                rnd.choice(QUESTIONS[category]),
                rnd.choice(ANSWERS),
                rnd.choices(vocab.REFERRALS, (80, 6, 10, 4))[0],
                int(rnd.random() < 0.05),
                None,
                rnd.choices(("满意", "基本满意", "不满意", ""), (70, 15, 5, 10))[0],
                rnd.choice(MEDIATORS),
            )
        )
        if len(batch["hotline_calls"][1]) >= BULK_BATCH:
            flush(batch)
            batch["hotline_calls"][1].clear()
    if batch["hotline_calls"][1]:
        flush(batch)

    # --- publicity events with materials
    e_cols = ("held_on", "theme", "form", "location", "audience", "organizer", "notes")
    m_cols = ("event_id", "kind", "unit", "quantity")
    batch = {
        "publicity_events": (sql("publicity_events", e_cols), []),
        "publicity_materials": (sql("publicity_materials", m_cols), []),
    }
    for _n in range(int(disputes * BULK_RATIOS["publicity"])):
        code = codes[rnd.randrange(villages)]
        held = day()
        eid = next(ids)
        stamp = f"{held} 09:00:00"
        batch["publicity_events"][1].append(
            (
                eid,
                code,
                stamp,
                stamp,
                user,
                user,
                1,
                0,
                0,
                held.isoformat(),
                rnd.choice(vocab.PUBLICITY_THEMES[:-1]),
                rnd.choices(vocab.PUBLICITY_FORMS, (30, 20, 20, 10, 25, 5))[0],
                rnd.choice(("村赶集场", "村便民服务中心", "村文化广场", "都督乡中心校")),
                rnd.randrange(30, 400),
                rnd.choice(MEDIATORS),
                "",
            )
        )
        batch["publicity_materials"][1].append(
            (next(ids), code, stamp, stamp, user, user, 1, 0, 0, eid, "宣传册", "册", rnd.randrange(50, 300))
        )
        if rnd.random() < 0.5:
            batch["publicity_materials"][1].append(
                (next(ids), code, stamp, stamp, user, user, 1, 0, 0, eid, "横幅", "条", rnd.randrange(1, 4))
            )
        if len(batch["publicity_events"][1]) >= BULK_BATCH // 2:
            flush(batch)
            for _s, rows in batch.values():
                rows.clear()
    if batch["publicity_events"][1]:
        flush(batch)
    with transaction(conn):
        for kind, name, statement in saved:
            if kind == "index" or "_search_" not in name:
                conn.execute(statement)
        search.rebuild(conn)
        speed.refill_followup_due(conn)
    return counts
