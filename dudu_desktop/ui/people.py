"""Picking people from the directory with completion (services.people.find_people), or typing
a new name on the spot."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit

from dudu_desktop.i18n import _
from dudu_desktop.services import people


class PersonLineEdit(QLineEdit):
    """A name box that completes from the directory. ``picked(person)`` fires when a directory
    entry is chosen; ``person()`` is the chosen entry while the text still matches it."""

    picked = Signal(dict)

    def __init__(self, conn, parent=None, *, kind: str | None = None):
        super().__init__(parent)
        self.conn = conn
        self.kind = kind
        self._found: dict[str, dict] = {}
        self._person: dict | None = None
        self.setPlaceholderText(_("Type a name: pick from the directory or enter a new one"))
        self._model = QStringListModel(self)
        self.completer_ = QCompleter(self._model, self)
        self.completer_.setCaseSensitivity(Qt.CaseInsensitive)
        self.completer_.setFilterMode(Qt.MatchContains)
        self.completer_.setCompletionMode(QCompleter.PopupCompletion)
        self.setCompleter(self.completer_)
        self.completer_.activated[str].connect(self._chosen)
        self.textEdited.connect(self._lookup)

    @staticmethod
    def label(p: dict) -> str:
        extra = "，".join(x for x in (p.get("address") or "", p.get("phone") or "") if x)
        return f"{p['name']}（{extra}）" if extra else p["name"]

    def _lookup(self, text: str) -> None:
        self._person = None
        text = text.strip()
        if not text:
            self._model.setStringList([])
            return
        found = people.find_people(self.conn, text, kind=self.kind, limit=20)
        self._found = {self.label(p): p for p in found}
        self._model.setStringList(list(self._found))

    def _chosen(self, label: str) -> None:
        person = self._found.get(label)
        if person is None:
            return
        self._person = person
        self.setText(person["name"])
        self.picked.emit(person)

    def person(self) -> dict | None:
        if self._person and self._person["name"] == self.text().strip():
            return self._person
        return None
