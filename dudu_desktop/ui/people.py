"""Names typed once (issue 12): every name box completes from the one people directory
(services.people.directory: staff, the directory, everybody already entered), by the characters
typed or by pinyin (``xdh`` → 向德华); picking a person fills their phone, ID number and address."""

from __future__ import annotations

from PySide6.QtCore import QObject, QStringListModel, Qt, Signal
from PySide6.QtWidgets import QCompleter, QLineEdit

from dudu_desktop.i18n import _
from dudu_desktop.services import people


def label(p: dict) -> str:
    """How a person is offered: the name with what tells two namesakes apart."""
    extra = "，".join(x for x in (p.get("address") or "", p.get("phone") or "", p.get("kind") or "") if x)
    return f"{p['name']}（{extra}）" if extra else p["name"]


class DirectoryCompleter(QObject):
    """Completion from the directory for one QLineEdit. The directory filters (pinyin included), so
    the popup shows its answer unfiltered. ``picked(person)`` fires when an entry is chosen."""

    picked = Signal(dict)

    def __init__(self, edit: QLineEdit, conn, *, staff_only: bool = False):
        super().__init__(edit)
        self.edit, self.conn, self.staff_only = edit, conn, staff_only
        self.found: dict[str, dict] = {}
        self.model = QStringListModel(self)
        self.completer = QCompleter(self.model, edit)
        self.completer.setObjectName("directoryCompleter")
        self.completer.setCompletionMode(QCompleter.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseInsensitive)
        edit.setCompleter(self.completer)
        self.completer.activated[str].connect(self.choose)
        edit.textEdited.connect(self.lookup)

    def lookup(self, text: str) -> list[str]:
        found = people.directory(self.conn, text, staff_only=self.staff_only, limit=20)
        self.found = {label(p): p for p in found}
        self.model.setStringList(list(self.found))
        if self.found and self.edit.hasFocus():
            self.completer.complete()
        return list(self.found)

    def choose(self, text: str) -> None:
        person = self.found.get(text)
        if person is None:
            return
        self.edit.setText(person["name"])
        self.picked.emit(person)


class PersonLineEdit(QLineEdit):
    """A name box that completes from the directory. ``picked(person)`` fires when a directory
    entry is chosen; ``person()`` is the chosen entry while the text still matches it."""

    picked = Signal(dict)

    def __init__(self, conn, parent=None, *, kind: str | None = None):
        super().__init__(parent)
        self.conn = conn
        self.kind = kind
        self._person: dict | None = None
        self.setPlaceholderText(_("Type a name or its pinyin initials: pick from the directory or enter a new one"))
        self.directory = DirectoryCompleter(self, conn)
        self.completer_ = self.directory.completer
        self.directory.picked.connect(self._chosen)
        self.textEdited.connect(lambda _t: setattr(self, "_person", None))

    @staticmethod
    def label(p: dict) -> str:
        return label(p)

    def _chosen(self, person: dict | str) -> None:
        if isinstance(person, str):  # a label from the popup
            self.directory.choose(person)
            return
        self._person = person
        self.picked.emit(person)

    def person(self) -> dict | None:
        if self._person and self._person["name"] == self.text().strip():
            return self._person
        return None


#: name fields of the forms → (staff only?, {directory key: form field filled when a person is picked})
NAME_FIELDS = {
    "mediator": (True, {}),
    "speaker": (True, {}),
    "handler": (True, {}),
    "visitor": (True, {}),
    "organizer": (True, {}),
    "caller_name": (False, {"phone": "caller_phone"}),
}


def complete_names(form, conn) -> dict[str, DirectoryCompleter]:
    """Completion on every name field of a :class:`~dudu_desktop.ui.forms.FieldForm`."""
    out = {}
    for key, (staff_only, fills) in NAME_FIELDS.items():
        edit = form.editors.get(key)
        if not isinstance(edit, QLineEdit):
            continue
        completer = DirectoryCompleter(edit, conn, staff_only=staff_only)

        def fill(person: dict, fills=fills) -> None:
            for source, target in fills.items():
                if person.get(source) and target in form.editors:
                    form.set_value(target, person[source])

        completer.picked.connect(fill)
        out[key] = completer
    return out
