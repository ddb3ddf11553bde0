#!/usr/bin/env python3
"""Draw the application icon with QPainter and write ``resources/icons/app.png`` (256 px) and
``resources/icons/app.ico`` (16–256 px, PNG-compressed entries, read by Windows Vista and later).

    QT_QPA_PLATFORM=offscreen python scripts/make_icons.py

The icon: a blue rounded seal with a thin white inner frame and 法 in the bundled WenQuanYi font.
Qt's own ICO writer stores one image only, so the ICO container (6-byte header, 16-byte directory
entries, then the PNG payloads) is assembled here from PNGs written by Qt.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "icons"
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
SIZES = (16, 24, 32, 48, 64, 128, 256)
TOP, BOTTOM = QColor("#2f7be0"), QColor("#0b3d91")


def draw(size: int, family: str) -> QImage:
    image = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    image.fill(Qt.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.Antialiasing)
    p.setRenderHint(QPainter.TextAntialiasing)
    margin = max(0.5, size * 0.03)
    outer = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    gradient = QLinearGradient(QPointF(0, 0), QPointF(0, size))
    gradient.setColorAt(0, TOP)
    gradient.setColorAt(1, BOTTOM)
    p.setPen(Qt.NoPen)
    p.setBrush(gradient)
    p.drawRoundedRect(outer, size * 0.2, size * 0.2)
    if size >= 32:  # a seal's inner frame; too fine for 16/24 px
        inset = size * 0.11
        frame = outer.adjusted(inset, inset, -inset, -inset)
        pen = QPen(QColor(255, 255, 255, 200), max(1.0, size * 0.025))
        p.setPen(pen)
        p.setBrush(Qt.NoBrush)
        p.drawRoundedRect(frame, size * 0.1, size * 0.1)
    # the character as a path, centred on its real outline (font metrics put CJK glyphs low)
    font = QFont(family)
    font.setPixelSize(int(size * (0.62 if size >= 32 else 0.78)))
    font.setBold(True)
    path = QPainterPath()
    path.addText(0, 0, font, "法")
    box = path.boundingRect()
    path.translate(size / 2 - box.center().x(), size / 2 - box.center().y())
    p.setPen(QPen(QColor("white"), max(0.6, size * 0.022), Qt.SolidLine, Qt.RoundCap, Qt.RoundJoin))  # bolder
    p.setBrush(QColor("white"))
    p.drawPath(path)
    p.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    if not image.save(buf, "PNG"):
        raise RuntimeError("Qt could not write PNG")
    buf.close()
    return bytes(data)


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    entries, payload = b"", b""
    for size, data in sorted(pngs.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset + len(payload))
        payload += data
    return header + entries + payload


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts need it
    font_id = QFontDatabase.addApplicationFont(str(FONT))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    family = next((f for f in families if "Mono" not in f), "sans-serif")
    OUT.mkdir(parents=True, exist_ok=True)
    pngs = {size: png_bytes(draw(size, family)) for size in SIZES}
    (OUT / "app.png").write_bytes(pngs[256])
    (OUT / "app.ico").write_bytes(ico_bytes(pngs))
    print(f"wrote {OUT / 'app.png'} and {OUT / 'app.ico'} ({', '.join(map(str, SIZES))} px)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
