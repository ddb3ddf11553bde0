"""Interface texts of the print preview (``ui/print_preview.py``), kept with the reports so
that they are translated in the reports catalog. Use ``_(LABELS[key])`` at display time."""

from __future__ import annotations

from dudu_desktop.i18n import N_

LABELS = {
    "window": N_("Print preview: {title}"),
    "print": N_("Print…"),
    "save_pdf": N_("Save as PDF…"),
    "export_xlsx": N_("Export Excel…"),
    "export_csv": N_("Export CSV…"),
    "close": N_("Close"),
    "unmasked": N_("Show full personal data"),
    "unmasked_tip": N_(
        "Full names, phone numbers and ID numbers. Every such print or export is recorded in the audit trail."
    ),
    "unmasked_denied": N_("Your role may not print full personal data."),
    "unmasked_none": N_("This document has no personal data to hide."),
    "generating": N_("Generating the document…"),
    "pages": N_("{pages} pages"),
    "failed": N_("The document could not be made: {message}"),
    "saved": N_("Saved: {path}"),
    "printed": N_("Sent to the printer: {pages} pages."),
    "exporting": N_("Exporting…"),
    "pdf_filter": N_("PDF files (*.pdf)"),
    "xlsx_filter": N_("Excel workbooks (*.xlsx)"),
    "csv_filter": N_("CSV files (*.csv)"),
    "save_failed": N_("The file could not be written: {message}"),
    "edit_texts": N_("Edit the report text…"),
    "texts_title": N_("Annual report text {year}"),
    "texts_help": N_(
        "One paragraph per line; a short line starting with （一） is a heading. The program fills "
        "in these fields from the registers: {fields}. A line holding only {chart} becomes the chart."
    ),
    "texts_reset": N_("Back to the template"),
    "texts_save": N_("Save"),
    "print_agreement": N_("Print agreement…"),
    "print_agreement_draft": N_("Print draft agreement…"),
    "print_signin": N_("Print sign-in sheet…"),
    "print_dossier": N_("Print dossier…"),
    "photos": N_("With photos of the events"),
    "photos_tip": N_(
        "One photo per publicity event, captioned with its date and place: the one chosen in the "
        "event's window (Use in reports), else its first 现场照片."
    ),
    "print_attendance": N_("Print attendance record…"),
    "sheet_before": N_("Sign-in sheet (before the session)"),
    "sheet_after": N_("Attendance record (after the session)"),
    "draft_question": N_("This case is still being mediated: print a draft agreement to prepare it?"),
    "issue_date": N_("Date of issue:"),
    "issue_date_tip": N_(
        "成文日期 printed under the issuer, YYYY-MM-DD. Empty: the day the report text was saved, else today."
    ),
}
