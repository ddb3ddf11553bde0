"""Field specifications for every record kind: one source of truth for validation,
editors, spreadsheet templates and ledgers."""

from __future__ import annotations

from dataclasses import dataclass, field

from dudu_desktop.domain import vocab
from dudu_desktop.domain.money import MAX_YUAN
from dudu_desktop.i18n import N_

TEXT, LONGTEXT, DATE, DATETIME, INT, MONEY, BOOL, CHOICE, PHONE, IDNO, REAL = (
    "text",
    "longtext",
    "date",
    "datetime",
    "int",
    "money",
    "bool",
    "choice",
    "phone",
    "idno",
    "real",
)

#: Bounded lengths: no text field grows without limit (hostile input, printing).
MAX_TEXT = 200
MAX_LONGTEXT = 4000
#: Bounded numbers (keyboard, spreadsheet and bundle alike): a count of people, cases or copies is at most
#: ten million, an amount at most 999,999,999,999.99 yuan (what 中文大写金额 can write, money.MAX_YUAN), any
#: other number at most a million. A field may set a tighter ``max_value``.
MAX_COUNT = 10_000_000
MAX_AMOUNT_FEN = MAX_YUAN * 100 + 99
MAX_REAL = 1_000_000


@dataclass(frozen=True)
class Field:
    key: str
    label: str  # English msgid; translate with _() at display time
    kind: str = TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    sensitive: bool = False  # personal data masked on printouts and exports
    max_length: int | None = None
    min_value: float | None = 0
    max_value: float | None = None  # numbers: None = the default bound of the kind (MAX_COUNT …)

    @property
    def upper(self) -> float | None:
        """The largest value a number field accepts (None for fields that are not numbers)."""
        if self.max_value is not None:
            return self.max_value
        return {INT: MAX_COUNT, MONEY: MAX_AMOUNT_FEN, REAL: MAX_REAL}.get(self.kind)

    @property
    def limit(self) -> int:
        if self.max_length:
            return self.max_length
        return MAX_LONGTEXT if self.kind == LONGTEXT else MAX_TEXT


@dataclass(frozen=True)
class RecordSpec:
    name: str  # table name
    label: str
    fields: tuple[Field, ...] = field(default_factory=tuple)

    def __getitem__(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)


PERSON = RecordSpec(
    "people",
    N_("Person"),
    (
        Field("name", N_("Name"), required=True, sensitive=True, max_length=50),
        Field("gender", N_("Gender"), CHOICE, choices=vocab.GENDERS),
        Field("ethnicity", N_("Ethnicity"), max_length=20),
        Field("age", N_("Age"), INT, max_value=150),
        Field("phone", N_("Phone"), PHONE, sensitive=True),
        Field("id_number", N_("ID number"), IDNO, sensitive=True),
        Field("address", N_("Address"), sensitive=True),
        Field("kind", N_("Kind"), CHOICE, choices=vocab.PERSON_KINDS),
        Field("notes", N_("Notes")),
    ),
)

PARTY = RecordSpec(
    "dispute_parties",
    N_("Party"),
    (
        Field("role", N_("Party role"), CHOICE, required=True, choices=vocab.PARTY_ROLES),
        *(f for f in PERSON.fields if f.key not in ("kind", "notes")),
        Field("occupation", N_("Occupation or post"), max_length=50),  # 职业或职务 (migration 0014)
    ),
)

DISPUTE = RecordSpec(
    "disputes",
    N_("Dispute"),
    (
        Field("registered_on", N_("Registration date"), DATE, required=True),
        Field("dispute_type", N_("Dispute type"), CHOICE, required=True, choices=vocab.DISPUTE_TYPES),
        Field("summary", N_("Summary of the dispute"), LONGTEXT, required=True),
        Field("source", N_("Source"), CHOICE, required=True, choices=vocab.DISPUTE_SOURCES),
        Field("method", N_("Mediation method"), CHOICE, choices=vocab.MEDIATION_METHODS),
        Field("mediator", N_("Mediator"), max_length=50),
        Field("level", N_("Warning level"), CHOICE, required=True, choices=tuple(vocab.WarningLevel)),
        Field("status", N_("Status"), CHOICE, choices=tuple(vocab.DisputeStatus)),
        Field("result", N_("Result"), CHOICE, choices=tuple(vocab.DisputeResult)),
        Field("agreement", N_("Agreement reached"), BOOL),
        Field("agreement_terms", N_("Agreed terms"), LONGTEXT),
        Field("amount_cents", N_("Agreement amount"), MONEY),
        Field("performance_terms", N_("Manner and time of performance"), LONGTEXT),
        Field("place_of_performance", N_("Place of performance"), max_length=100),  # 履行地点 (migration 0014)
        Field("concluded_on", N_("Conclusion date"), DATE),
        Field("closed_out_on", N_("Close-out date"), DATE),
        Field("prevented_criminal", N_("Prevented turning criminal (cases)"), INT),
        Field("prevented_criminal_people", N_("Prevented turning criminal (people)"), INT),
        Field("prevented_petition", N_("Prevented group petitions (cases)"), INT),
        Field("prevented_petition_people", N_("Prevented group petitions (people)"), INT),
        Field("notes", N_("Notes"), LONGTEXT),
    ),
)

FOLLOWUP = RecordSpec(
    "dispute_followups",
    N_("Follow-up visit"),
    (
        Field("visited_on", N_("Visit date"), DATE, required=True),
        Field("performance", N_("Performance"), CHOICE, required=True, choices=vocab.PERFORMANCE),
        Field("satisfaction", N_("Satisfaction"), CHOICE, choices=vocab.SATISFACTION),
        Field("visitor", N_("Visited by"), max_length=50),
        Field("notes", N_("Notes"), LONGTEXT),
    ),
)

TRAINING = RecordSpec(
    "trainings",
    N_("Training session"),
    (
        Field("held_on", N_("Date"), DATE, required=True),
        Field("topic", N_("Topic"), required=True),
        Field("training_type", N_("Training type"), CHOICE, required=True, choices=vocab.TRAINING_TYPES),
        Field("speaker", N_("Speaker"), max_length=50),
        Field("location", N_("Location")),
        Field("duration_hours", N_("Duration (hours)"), REAL, max_value=1000),
        Field("exam_held", N_("Exam held"), BOOL),
        Field("notes", N_("Notes"), LONGTEXT),
    ),
)

ATTENDANCE = RecordSpec(
    "training_attendance",
    N_("Attendance"),
    (
        Field("name", N_("Name"), required=True, sensitive=True, max_length=50),
        Field("position", N_("Position"), max_length=50),
        Field("phone", N_("Phone"), PHONE, sensitive=True),
        Field("signed_in", N_("Signed in"), BOOL),
        Field("exam_score", N_("Exam score"), REAL),
        Field("exam_passed", N_("Exam passed"), BOOL),
    ),
)

HOTLINE = RecordSpec(
    "hotline_calls",
    N_("Hotline call"),
    (
        Field("called_at", N_("Time"), DATETIME, required=True),
        Field("channel", N_("Channel"), CHOICE, required=True, choices=vocab.HOTLINE_CHANNELS),
        Field("anonymous", N_("Caller anonymous"), BOOL),
        Field("caller_name", N_("Caller"), sensitive=True, max_length=50),
        Field("caller_phone", N_("Contact number"), PHONE, sensitive=True),
        Field("category", N_("Category"), CHOICE, required=True, choices=vocab.HOTLINE_CATEGORIES),
        Field("question", N_("Question"), LONGTEXT, required=True),
        Field("answer", N_("Answer"), LONGTEXT),
        Field("referral", N_("Referral"), CHOICE, choices=vocab.REFERRALS),
        Field("legal_aid", N_("Legal aid applies"), BOOL),
        Field("followup_on", N_("Follow-up date"), DATE),
        Field("satisfaction", N_("Satisfaction"), CHOICE, choices=vocab.SATISFACTION),
        Field("handler", N_("Handled by"), max_length=50),
    ),
)

PUBLICITY = RecordSpec(
    "publicity_events",
    N_("Publicity event"),
    (
        Field("held_on", N_("Date"), DATE, required=True),
        Field("theme", N_("Theme"), required=True),
        Field("form", N_("Form"), CHOICE, required=True, choices=vocab.PUBLICITY_FORMS),
        Field("location", N_("Location")),
        Field("audience", N_("Audience (people)"), INT),
        Field("organizer", N_("Organizer"), max_length=50),
        Field("notes", N_("Notes"), LONGTEXT),
    ),
)

MATERIAL = RecordSpec(
    "publicity_materials",
    N_("Materials handed out"),
    (
        Field("kind", N_("Material"), CHOICE, required=True, choices=tuple(vocab.MATERIAL_KINDS)),
        Field("quantity", N_("Quantity"), INT, required=True),
    ),
)

REGISTERS = {"disputes": DISPUTE, "trainings": TRAINING, "hotline": HOTLINE, "publicity": PUBLICITY}
REGISTER_LABELS = {
    "disputes": N_("Dispute screening and mediation"),
    "trainings": N_("Legal training and study"),
    "hotline": N_("Legal hotline and consultation"),
    "publicity": N_("Legal publicity events"),
}
#: register name → table name
REGISTER_TABLES = {
    "disputes": "disputes",
    "trainings": "trainings",
    "hotline": "hotline_calls",
    "publicity": "publicity_events",
}
