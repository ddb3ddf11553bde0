#!/usr/bin/env python3
"""Build the one-folder program with PyInstaller (``build.spec``), then smoke-test what was built.

    python scripts/build.py                 # build dist/DuduDesktop/, then smoke-test it
    python scripts/build.py --portable      # the same, and leave portable.txt in it (data/ beside the program)
    python scripts/build.py --skip-build    # only smoke-test the existing dist/DuduDesktop/
    python scripts/build.py --zip           # also write dist/DuduDesktop-<version>-<platform>.zip

The smoke test runs the *frozen* programs from the dist folder (not the source tree) with a
temporary ``DUDU_HOME`` and no Python environment variables: ``--version``, ``init`` (township,
first administrator), ``demo --villages 2``, ``stats --json`` (parsed), ``check``, a ledger PDF
(``report ledger``; starts with %PDF, has pages), the English catalog (``DUDU_LANG=en``), the
window opening offscreen (``DUDU_SMOKE_TEST=1``: the main window on the demo database, exit 0
after its first paint), and portable mode (``portable.txt`` → the data lands in ``data/`` beside
the program). Exit status 0 when everything passed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
APP = "DuduDesktop"
CLI = "dudu-desktop"
PORTABLE_MARKER = "portable.txt"
EXE = ".exe" if sys.platform == "win32" else ""
PASSWORD = "smoke-test-password-1"
PORTABLE_NOTE = (
    "Portable mode: the data is kept in the data folder beside the program.\n"
    "便携模式：数据保存在本程序旁边的 data 文件夹中。删除本文件即改为保存在当前用户的数据文件夹。\n"
)


def version() -> str:
    text = (ROOT / "dudu_desktop" / "__init__.py").read_text("utf-8")
    return re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M).group(1)


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def build(dist: Path, work: Path, clean: bool) -> float:
    started = time.monotonic()
    command = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    if clean:
        command.insert(3, "--clean")
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)
    return time.monotonic() - started


class Smoke:
    """Runs the frozen programs; each check prints one line; ``failures`` collects what failed."""

    def __init__(self, folder: Path, home: Path):
        self.folder, self.home = folder, home
        self.cli = folder / (CLI + EXE)
        self.gui = folder / (APP + EXE)
        self.db = home / "dudu.sqlite3"
        self.failures: list[str] = []

    def env(self, **extra) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DUDU_", "PYTHON", "QT_")) and k not in ("VIRTUAL_ENV",)
        }
        env.update(
            DUDU_HOME=str(self.home),
            QT_QPA_PLATFORM="offscreen",
            DUDU_USER="smoke",
            DUDU_PASSWORD=PASSWORD,
            DUDU_NEW_PASSWORD=PASSWORD,
        )
        env.update({k: v for k, v in extra.items() if v is not None})
        for k in [k for k, v in extra.items() if v is None]:
            env.pop(k, None)
        return env

    def run(self, program: Path, *args: str, env: dict | None = None, timeout: int = 180):
        started = time.monotonic()
        result = subprocess.run(
            [str(program), *args],
            cwd=self.home,
            env=env or self.env(),
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return result, time.monotonic() - started

    def check(self, name: str, ok: bool, seconds: float, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {name} ({seconds:.1f} s){': ' + detail if detail else ''}", flush=True)
        if not ok:
            self.failures.append(name)
        return ok

    def cli_ok(self, name: str, *args: str, env: dict | None = None):
        result, seconds = self.run(self.cli, *args, env=env)
        detail = "" if result.returncode == 0 else f"exit {result.returncode}: {result.stderr.strip()[-800:]}"
        self.check(name, result.returncode == 0, seconds, detail)
        return result

    def all(self, portable: bool) -> list[str]:
        expected = version()
        result, seconds = self.run(self.cli, "--version")
        self.check("--version", result.returncode == 0 and expected in result.stdout, seconds, result.stdout.strip())
        self.cli_ok(
            "init --role township --admin smoke",
            "init",
            "--role",
            "township",
            "--code",
            "500116113000",
            "--name",
            "都督乡",
            "--admin",
            "smoke",
        )
        self.cli_ok("demo --villages 2", "demo", "--villages", "2")
        result = self.cli_ok("stats --year 2024 --json", "stats", "--year", "2024", "--json")
        try:
            figures = json.loads(result.stdout)
            self.check(
                "stats JSON has disputes",
                figures["disputes"]["total"] > 0,
                0,
                f"{figures['disputes']['total']} disputes, {figures['trainings']['sessions']} sessions",
            )
        except (ValueError, KeyError, TypeError) as exc:
            self.check("stats JSON parses", False, 0, repr(exc))
        self.cli_ok("check", "check")
        self.catalogs()
        pdf = self.ledger_pdf()
        self.sealed_bundle()
        self.window(pdf)
        self.portable(keep=portable)
        return self.failures

    def catalogs(self) -> None:
        zh, seconds = self.run(self.cli, "stats", "--year", "2024")
        self.check(
            "zh_CN catalog (default)",
            zh.returncode == 0 and "纠纷" in zh.stdout,
            seconds,
            zh.stdout.splitlines()[0] if zh.stdout else zh.stderr[-300:],
        )
        en, seconds = self.run(self.cli, "stats", "--year", "2024", env=self.env(DUDU_LANG="en"))
        self.check(
            "en catalog (DUDU_LANG=en)",
            en.returncode == 0 and "Disputes" in en.stdout,
            seconds,
            en.stdout.splitlines()[0] if en.stdout else en.stderr[-300:],
        )

    def ledger_pdf(self) -> Path | None:
        usage, _s = self.run(self.cli, "--help")
        if not re.search(r"^\s+report\s", usage.stdout, re.M):
            print("  skip report ledger (no report command in this build)")
            return None
        out = self.home / "ledger-disputes-2024-05.pdf"
        self.cli_ok(
            "report ledger --register disputes --month 2024-05",
            "report",
            "ledger",
            "--register",
            "disputes",
            "--month",
            "2024-05",
            "--out",
            str(out),
        )
        data = out.read_bytes() if out.exists() else b""
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", data))
        try:  # pypdf when the build machine has it (the test extras), else the count of page objects
            import pypdf

            pages = len(pypdf.PdfReader(str(out)).pages) if data else 0
        except ImportError:
            pass
        self.check("ledger PDF", data.startswith(b"%PDF") and pages > 0, 0, f"{len(data)} bytes, {pages} pages")
        if data and shutil.which("pdffonts"):
            fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True).stdout
            rows = fonts.splitlines()[2:]
            embedded = [r for r in rows if re.search(r"\byes\s+\w+\s+\w+\s+\d+\s+\d+\s*$", r)]
            self.check(
                "ledger PDF fonts embedded",
                bool(rows) and len(embedded) == len(rows),
                0,
                ", ".join(sorted({r.split()[0].split("+")[-1] for r in rows})),
            )
        return out if data.startswith(b"%PDF") else None

    def sealed_bundle(self) -> None:
        """Township registers a village; the village imports the registration, exports a sealed bundle
        (signed, encrypted: cryptography in the frozen program); the township imports it."""
        usage, _s = self.run(self.cli, "--help")
        if not re.search(r"^\s+register-village\s", usage.stdout, re.M):
            print("  skip sealed bundle (no register-village command in this build)")
            return
        code, registration, usb = "500116113209", self.home / "registration", self.home / "usb"
        village = ["--db", str(self.home / "village.sqlite3")]
        usb.mkdir()
        self.cli_ok(
            "register-village (township)",
            "register-village",
            "--code",
            code,
            "--name",
            "试点村",
            "--out",
            str(registration),
        )
        self.cli_ok(
            "init village",
            *village,
            "init",
            "--role",
            "village",
            "--code",
            code,
            "--name",
            "试点村",
            "--township-code",
            "500116113000",
            "--township-name",
            "都督乡",
            "--admin",
            "smoke",
        )
        files = [p for p in self.home.glob("registration*") if p.is_file()] or list(registration.glob("*"))
        if not self.check("registration file written", len(files) == 1, 0, ", ".join(p.name for p in files)):
            return
        self.cli_ok("import-registration (village)", *village, "import-registration", str(files[0]))
        self.cli_ok("demo (village)", *village, "demo", "--villages", "1")
        self.cli_ok("export sealed bundle (village)", *village, "export", "--out", str(usb))
        bundles = list(usb.iterdir())
        if not self.check("one bundle on the stick", len(bundles) == 1, 0, ", ".join(p.name for p in bundles)):
            return
        result = self.cli_ok("import sealed bundle (township)", "import", str(bundles[0]), "--json")
        try:
            report = json.loads(result.stdout)
            new = report[0]["counts"]["disputes"]["new"]
            self.check("bundle merged", new > 0, 0, f"{new} disputes new")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            self.check("bundle merged", False, 0, repr(exc))

    def window(self, pdf: Path | None) -> None:
        env = self.env(DUDU_SMOKE_TEST="1", DUDU_SMOKE_PDF=str(pdf) if pdf else None)
        result, seconds = self.run(self.gui, "--db", str(self.db), env=env, timeout=120)
        windows = sys.platform == "win32"  # a windowed .exe has no stdout: the exit status says it
        painted = windows or "first paint" in result.stdout
        detail = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr.strip()[-800:]
        self.check("window opens offscreen and paints", result.returncode == 0 and painted, seconds, detail)
        if pdf:
            line = next((x for x in result.stdout.splitlines() if "print preview" in x), "")
            self.check(
                "print preview renders the ledger (pypdfium2)",
                result.returncode == 0 and (windows or line),
                0,
                line.replace("smoke test: ", ""),
            )

    def portable(self, keep: bool) -> None:
        marker = self.folder / PORTABLE_MARKER
        data = self.folder / "data"
        had_marker, had_data = marker.exists(), data.exists()
        if had_data:
            self.check("portable mode", False, 0, f"{data} exists already: not touching it")
            return
        marker.write_text(PORTABLE_NOTE, encoding="utf-8")
        try:
            env = self.env(DUDU_HOME=None)
            result, seconds = self.run(
                self.cli, "init", "--role", "village", "--code", "500116113201", "--name", "测试村", env=env
            )
            where = data / "dudu.sqlite3"
            self.check(
                "portable mode: data/ beside the program",
                result.returncode == 0 and where.exists(),
                seconds,
                str(where) if where.exists() else result.stderr.strip()[-500:],
            )
        finally:
            shutil.rmtree(data, ignore_errors=True)
            if not (keep or had_marker):
                marker.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--portable", action="store_true", help="leave portable.txt in the built folder")
    parser.add_argument("--skip-build", action="store_true", help="smoke-test the existing build only")
    parser.add_argument("--clean", action="store_true", help="rebuild from scratch (PyInstaller --clean)")
    parser.add_argument("--zip", action="store_true", help="also zip the folder")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    args = parser.parse_args(argv)

    folder = args.dist / APP
    build_seconds = None
    if not args.skip_build:
        build_seconds = build(args.dist, ROOT / "build" / "pyinstaller", args.clean)
    if not (folder / (CLI + EXE)).exists():
        print(f"no build in {folder}", file=sys.stderr)
        return 2
    if args.portable:
        (folder / PORTABLE_MARKER).write_text(PORTABLE_NOTE, encoding="utf-8")
    elif (folder / PORTABLE_MARKER).exists() and not args.skip_build:
        (folder / PORTABLE_MARKER).unlink()  # a normal build is not portable

    print(f"smoke test of {folder}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dudu-smoke-") as home:
        failures = Smoke(folder, Path(home)).all(portable=args.portable)
    smoke_seconds = time.monotonic() - started

    size = folder_size(folder)
    print(
        f"\n{folder}: {size / 1e6:.0f} MB, {sum(1 for p in folder.rglob('*') if p.is_file())} files"
        + (f"; build {build_seconds:.0f} s" if build_seconds is not None else "")
        + f"; smoke test {smoke_seconds:.0f} s"
        + ("; portable" if (folder / PORTABLE_MARKER).exists() else "")
    )
    if args.zip and not failures:
        machine = {"amd64": "x64", "x86_64": "x64"}.get(platform.machine().lower(), platform.machine().lower())
        base = (
            args.dist / f"{APP}-{version()}-{'windows' if sys.platform == 'win32' else sys.platform}-{machine}"
            f"{'-portable' if args.portable else ''}"
        )
        archive = shutil.make_archive(str(base), "zip", root_dir=args.dist, base_dir=APP)
        print(f"zip: {archive} ({Path(archive).stat().st_size / 1e6:.0f} MB)")
    if failures:
        print("FAILED: " + ", ".join(failures), file=sys.stderr)
        return 1
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
