#!/usr/bin/env python3
"""Benchmark of attachments (issue 16): a township file with 10,000 photos.

    python3 bench/bench_attachments.py [--size 100000] [--photos 10000] [--repeat 3] [--out FILE.json]

1. Takes the cached township database of ``--size`` disputes (bench/bench.py builds it), copies it and
   attaches ``--photos`` small generated JPEGs (640×480, ~40 KB) to disputes of the copy through the
   service (decode, hash, store, audit), timed.
2. Start (first painted main window), the dispute register (first screen, jump to the end, filter,
   sort) and the start-up ``quick_check`` on the file without and with the photos: they should not
   differ beyond noise, since the photos live in their own table (``blobs``) whose pages no register
   query reads. File sizes too.
3. A village attaches 100 new photos (1600×1200, ~300–500 KB, like a phone's after the 2,560 px
   bring-down) and exports a sealed bundle; the township (the file with 10,000 photos) imports it.
   Both timed.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench  # noqa: E402  (bench/bench.py: the cached database, the start and register measures)


def photo(width: int, height: int, seed: int) -> bytes:
    """A JPEG with a gradient, shapes and a little noise: compresses like a photo, not like a flat colour."""
    from PIL import Image, ImageDraw, ImageFilter

    rnd = random.Random(seed)
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rnd.randrange(width), rnd.randrange(height)
        r = rnd.randrange(10, max(11, width // 4))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rnd.randrange(256) for _ in range(3)))
    noise = Image.frombytes("L", (width // 4, height // 4), rnd.randbytes(width * height // 16)).resize((width, height))
    image = Image.blend(image, Image.merge("RGB", (noise, noise, noise)), 0.25).filter(ImageFilter.SMOOTH)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue()


def attach_many(path: Path, n: int, seed: int = 7) -> dict:
    from dudu_desktop.services import attachments

    ctx = bench.context(path)
    ids = [r[0] for r in ctx.conn.execute("SELECT id FROM disputes WHERE deleted = 0 ORDER BY id LIMIT ?", (n,))]
    t0 = time.perf_counter()
    total = 0
    for i in range(n):
        data = photo(640, 480, seed * 1_000_003 + i)
        total += len(data)
        attachments.add(ctx, "disputes", ids[i % len(ids)], [(f"现场{i:05d}.jpg", data)])
    seconds = time.perf_counter() - t0
    ctx.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.conn.close()
    return {
        "photos": n,
        "photo_bytes_mb": round(total / 1e6, 1),
        "seconds": round(seconds, 1),
        "ms_per_photo": round(seconds * 1000 / n, 2),
    }


def bundle_round(township: Path, workdir: Path, n: int = 100) -> dict:
    from dudu_desktop.domain.vocab import Role
    from dudu_desktop.services import attachments, disputes, site
    from dudu_desktop.services.context import Context
    from dudu_desktop.storage.db import open_database
    from dudu_desktop.sync import keys
    from dudu_desktop.sync.export import export_bundle
    from dudu_desktop.sync.merge import apply_bundle

    town = Context(conn=open_database(township), user="bench", role=Role.ADMIN, clock=lambda: bench.NOW)
    info = site.site(town.conn)
    code = info["code"][:9] + "999"
    vpath = workdir / "village-photos.sqlite3"
    for p in (vpath, Path(f"{vpath}-wal"), Path(f"{vpath}-shm")):
        p.unlink(missing_ok=True)
    village = Context(conn=open_database(vpath), user="bench", role=Role.ADMIN, clock=lambda: bench.NOW)
    site.init_site(
        village, role="village", code=code, name="测试村", township_code=info["code"], township_name=info["name"]
    )
    usb = workdir / "usb"
    shutil.rmtree(usb, ignore_errors=True)
    usb.mkdir()
    if not town.conn.execute("SELECT 1 FROM villages WHERE code = ?", (code,)).fetchone():
        site.save_village(town, code, "测试村")
    reg = keys.register_village(town, code, "测试村", usb)
    keys.import_registration(village, reg.path)
    case = disputes.create_dispute(
        village,
        {"registered_on": "2024-12-01", "dispute_type": "邻里", "summary": "照片测试", "source": "主动排查"},
        [{"name": "甲", "role": "申请人"}],
    )
    size = 0
    t0 = time.perf_counter()
    for i in range(n):
        data = photo(1600, 1200, 99_000 + i)
        size += len(data)
        attachments.add(village, "disputes", case, [(f"p{i:03d}.jpg", data)])
    attach_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = export_bundle(village, usb)
    export_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    imported = apply_bundle(town, result.path)
    import_s = time.perf_counter() - t0
    assert imported.counts["attachments"]["new"] == n, imported.counts
    out = {
        "photos": n,
        "photo_bytes_mb": round(size / 1e6, 1),
        "bundle_mb": round(result.path.stat().st_size / 1e6, 1),
        "attach_s": round(attach_s, 2),
        "export_s": round(export_s, 2),
        "import_s": round(import_s, 2),
        "import_backup_note": "the import starts with an automatic backup of the township file",
    }
    village.conn.close()
    town.conn.close()
    return out


def measure(path: Path, repeat: int, env: dict) -> dict:
    return {
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "start": bench.bench_start(path, repeat, env),
        "register": bench.bench_register(path, repeat, env),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--photos", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "dudu-bench"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results_attachments.json"))
    args = ap.parse_args()
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DUDU_HOME": str(workdir / "home")}
    os.environ["DUDU_HOME"] = env["DUDU_HOME"]
    base, _info = bench.database(args.size, workdir)
    photos = workdir / f"photos-{args.size}-{args.photos}.sqlite3"
    if not photos.exists():
        shutil.copy(base, photos)
        added = attach_many(photos, args.photos)
        print("attached:", added, flush=True)
    else:
        added = {"photos": args.photos, "note": "reused"}
    results = {
        "size": args.size,
        "attach": added,
        "without": measure(base, args.repeat, env),
        "with": measure(photos, args.repeat, env),
    }
    work = workdir / "bundle-town.sqlite3"
    shutil.copy(photos, work)
    results["bundle"] = bundle_round(work, workdir)
    text = json.dumps(results, ensure_ascii=False, indent=1)
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
