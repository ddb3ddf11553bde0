"""The four registers as tables: which table, which column a date or type filter applies to, which
text columns the search box searches. Read by the query builder (:mod:`~dudu_desktop.storage.queries`),
the search index (:mod:`~dudu_desktop.storage.search`) and the bulk loader (:mod:`~dudu_desktop.storage.bulk`):
it sits below all three, so none of them imports another for it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RegisterMeta:
    table: str
    date: str  # the column a month / date range filters on
    type: str  # the column the "type" filter applies to
    text: tuple[str, ...]  # columns searched by the search box
    status: str | None = None
    level: str | None = None


REGISTERS = {
    "disputes": RegisterMeta(
        "disputes",
        "registered_on",
        "dispute_type",
        ("party_names", "summary", "mediator", "serial_no"),
        "status",
        "level",
    ),
    "trainings": RegisterMeta("trainings", "held_on", "training_type", ("topic", "speaker", "location")),
    "hotline": RegisterMeta("hotline_calls", "called_at", "category", ("caller_name", "question", "answer")),
    "publicity": RegisterMeta("publicity_events", "held_on", "form", ("theme", "location", "organizer")),
}


def meta(register: str) -> RegisterMeta:
    try:
        return REGISTERS[register]
    except KeyError:
        raise ValueError(f"unknown register: {register}") from None
