#!/usr/bin/env python3
"""Fill msgstr entries of a .po file from a Python dict file defining ``T = {msgid: translation}``.

python scripts/fill_po.py dudu_desktop/i18n/po/zh_CN/core.po translations.py
"""

import runpy
import sys

from babel.messages.pofile import read_po, write_po

po_path, table_path = sys.argv[1], sys.argv[2]
table = runpy.run_path(table_path)["T"]
with open(po_path, "rb") as fh:
    catalog = read_po(fh, locale="zh_CN")
filled = 0
for message in catalog:
    if message.id and message.id in table and not message.string:
        message.string = table[message.id]
        filled += 1
with open(po_path, "wb") as fh:
    write_po(fh, catalog, width=0, sort_output=True, include_lineno=False)
print(f"{filled} filled")
