#!/usr/bin/env bash
# Install what Dudu Desktop needs on a Debian/Ubuntu machine, into ./.venv.
#   bash scripts/install.sh          the app
#   bash scripts/install.sh --test   the app and its test tools
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

# Qt (offscreen and a real X11 window), CJK fonts for the screen, poppler for looking at PDFs.
PACKAGES="python3 python3-venv python3-pip
  libegl1 libgl1 libx11-6 libdbus-1-3 libfontconfig1 libfreetype6 libglib2.0-0 libxkbcommon0
  libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-render0
  libxcb-shape0 libxcb-util1 libxcb-xkb1 libxkbcommon-x11-0 fonts-wqy-microhei poppler-utils"
if command -v apt-get >/dev/null 2>&1; then
  missing=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null | grep -v "install ok installed" | cut -d' ' -f1 || true)
  missing="$missing $(for p in $PACKAGES; do dpkg-query -W "$p" >/dev/null 2>&1 || echo "$p"; done)"
  if [ -n "$(echo "$missing" | tr -d ' \n')" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
if [ "${1:-}" = "--test" ]; then
  .venv/bin/python -m pip install -q -e '.[test]'
else
  .venv/bin/python -m pip install -q -e .
fi
