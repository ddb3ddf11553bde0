"""One entry point per printed document, for the command line and the window alike.

A :class:`DocumentRequest` names a document and its parameters (plain values, so that a
worker thread can build it on its own database connection); :func:`pdf_bytes` renders it,
:func:`write` writes it to a file (atomically; a ledger also as .xlsx or .csv).
"""

from __future__ import annotations

import io
import json
import os
from dataclasses import dataclass, field, replace

from dudu_desktop.domain.problems import Refused
from dudu_desktop.failures import os_error_message
from dudu_desktop.reports import agreement, annual, data, dossier, export, photos, signin
from dudu_desktop.reports.lang import _
from dudu_desktop.services import report_texts
from dudu_desktop.services.context import Context

LEDGER, AGREEMENT, SIGNIN, ANNUAL = "ledger", "agreement", "signin", "annual"
DOSSIER = "dossier"


@dataclass(frozen=True)
class DocumentRequest:
    """``kind`` is ledger, agreement, signin or annual; ``params`` its keyword arguments:
    ledger: register, month, village, unmasked, filled_on; agreement: dispute_id, draft,
    unmasked; signin: training_id, after, filled_on; annual: year, village, date, photos;
    (a publicity ledger also takes photos);
    dossier: dispute_id, unmasked.
    ``filled_on`` ('YYYY-MM-DD') is the 填报日期 printed; without it the line is left blank."""

    kind: str
    params: dict = field(default_factory=dict)

    def with_params(self, **changes) -> DocumentRequest:
        return replace(self, params={**self.params, **changes})

    @property
    def can_export_table(self) -> bool:
        return self.kind == LEDGER

    @property
    def has_personal_data(self) -> bool:
        """Whether a "show full personal data" choice means anything for this document."""
        return self.kind in (AGREEMENT, DOSSIER) or (
            self.kind == LEDGER and self.params.get("register") in ("disputes", "hotline")
        )


def _build(ctx: Context, request: DocumentRequest, out) -> int:
    p = request.params
    if request.kind == LEDGER:
        ledger = data.ledger(
            ctx,
            p["register"],
            month=p["month"],
            village=p.get("village"),
            unmasked=bool(p.get("unmasked")),
            filled_on=p.get("filled_on"),
        )
        after = None
        if p.get("photos") and p["register"] == "publicity":  # the events' photos after the table
            after = photos.grid(
                photos.event_photos(ctx.conn, f"{ledger.month}-01", f"{ledger.month}-31", ledger.village),
                _("Photos of the events"),
            )
        return export.render_ledger_pdf(out, ledger, after=after)
    if request.kind == AGREEMENT:
        content = agreement.agreement_data(
            ctx, p["dispute_id"], draft=bool(p.get("draft")), unmasked=bool(p.get("unmasked"))
        )
        return agreement.render_agreement_pdf(out, content)
    if request.kind == SIGNIN:
        return signin.render_signin_pdf(
            out, signin.signin_data(ctx, p["training_id"], after=bool(p.get("after")), filled_on=p.get("filled_on"))
        )
    if request.kind == ANNUAL:
        return annual.render_annual_pdf(
            out,
            annual.annual_data(ctx, int(p["year"]), p.get("village"), date=p.get("date"), photos=bool(p.get("photos"))),
        )
    if request.kind == DOSSIER:
        made = dossier.build_dossier(ctx, p["dispute_id"], unmasked=bool(p.get("unmasked")))
        out.write(made.pdf)
        return made.pages
    raise ValueError(f"unknown document: {request.kind}")


def pdf_bytes(ctx: Context, request: DocumentRequest) -> tuple[bytes, int]:
    """The document as PDF bytes and its page count."""
    buffer = io.BytesIO()
    pages = _build(ctx, request, buffer)
    return buffer.getvalue(), pages


def write(ctx: Context, request: DocumentRequest, path: str | os.PathLike) -> int | None:
    """Write the document to ``path``: PDF, or for a ledger also .xlsx/.csv by the extension.
    Returns the page count of a PDF."""
    allowed = export.FORMATS if request.kind == LEDGER else ("pdf",)
    fmt = export.output_format(path, allowed)
    if fmt != "pdf":
        p = request.params
        ledger = data.ledger(
            ctx,
            p["register"],
            month=p["month"],
            village=p.get("village"),
            unmasked=bool(p.get("unmasked")),
            filled_on=p.get("filled_on"),
        )
        return export.write_ledger(path, ledger)
    content, pages = pdf_bytes(ctx, request)
    export.write_bytes(path, content)
    return pages


def title_of(request: DocumentRequest) -> str:
    """A short name for the window title and the suggested file name."""
    p = request.params
    if request.kind == LEDGER:
        return _(data.LEDGER_TITLES[p["register"]]) + " " + p["month"]
    if request.kind == AGREEMENT:
        return _("People's mediation agreement")
    if request.kind == SIGNIN:
        return (
            _("Legal training (study) attendance record")
            if p.get("after")
            else _("Legal training (study) sign-in sheet")
        )
    if request.kind == ANNUAL:
        return _("Annual report {year}").format(year=p["year"])
    if request.kind == DOSSIER:
        return _("Case dossier")
    raise Refused(_("Unknown document: {name}").format(name=request.kind))


# the command line's calls --------------------------------------------------------------------


def write_ledger(
    ctx: Context,
    path,
    *,
    register: str,
    month: str,
    village: str | None = None,
    unmasked: bool = False,
    filled_on: str | None = None,
    photos: bool = False,
) -> int | None:
    return write(
        ctx,
        DocumentRequest(
            LEDGER,
            {
                "register": register,
                "month": month,
                "village": village,
                "unmasked": unmasked,
                "filled_on": filled_on,
                "photos": photos,
            },
        ),
        path,
    )


def write_agreement(ctx: Context, path, dispute_id: str, *, draft: bool = False, unmasked: bool = False) -> int:
    return write(
        ctx, DocumentRequest(AGREEMENT, {"dispute_id": dispute_id, "draft": draft, "unmasked": unmasked}), path
    )


def write_signin(ctx: Context, path, training_id: str, *, after: bool = False, filled_on: str | None = None) -> int:
    return write(
        ctx, DocumentRequest(SIGNIN, {"training_id": training_id, "after": after, "filled_on": filled_on}), path
    )


def write_annual(
    ctx: Context, path, *, year: int, village: str | None = None, date: str | None = None, photos: bool = False
) -> int:
    return write(ctx, DocumentRequest(ANNUAL, {"year": year, "village": village, "date": date, "photos": photos}), path)


def written_message(path, pages: int | None) -> str:
    if pages:
        return _("Written: {path} ({pages} pages)").format(path=path, pages=pages)
    return _("Written: {path}").format(path=path)


def read_texts_file(path) -> dict[str, str]:
    """The annual report's sections from a JSON file ``{"measures": "…", …}``."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            given = json.load(f)
    except OSError as exc:
        raise Refused(_("Cannot read {path}: {error}").format(path=path, error=os_error_message(exc))) from None
    except json.JSONDecodeError as exc:
        raise Refused(
            _("{path} is not valid JSON: check line {line}, column {column}.").format(
                path=path, line=exc.lineno, column=exc.colno
            )
        ) from None
    except (ValueError, RecursionError):  # not UTF-8 text, or nested too deep
        raise Refused(_("{path} is not a JSON text file (UTF-8).").format(path=path)) from None
    if (
        not isinstance(given, dict)
        or not set(given) <= set(report_texts.SECTIONS)
        or not all(isinstance(v, str) for v in given.values())
    ):
        raise Refused(
            _("The file must hold a JSON object whose keys are among: {keys}.").format(
                keys=", ".join(report_texts.SECTIONS)
            )
        )
    return given
