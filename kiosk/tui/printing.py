"""印刷: a screen's paper is filed as a PDF and printed, and the clerk is told which of the two happened.

The work (writing the PDF, handing it to CUPS) runs on the ledger thread, like every other call that
may take a moment; the verdict names the printer, or says why nothing printed and where the PDF is.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.reports.fonts import FontMissing
from kiosk.reports.printing import Filed, Paper, PrintProblem, file_paper

if TYPE_CHECKING:
    from kiosk.tui.app import KioskApp

log = logging.getLogger(__name__)


def say_filed(app: KioskApp, filed: Filed) -> None:
    """The verdict for a filed paper: printed on which queue, or why not, and the PDF's path."""
    t = app.t
    if filed.printed:
        app.show_verdict("printed", t("print.sent", queue=filed.queue, path=str(filed.pdf)))
        return
    if filed.problem is PrintProblem.NO_PRINTER:
        app.show_verdict("not_printed", t("print.no_printer", path=str(filed.pdf)))
        return
    log.warning("paper %s kept, not printed: %s", filed.pdf.name, filed.detail)
    app.show_verdict("not_printed", t("print.failed", queue=filed.queue, path=str(filed.pdf)))


async def file_and_print(
    app: KioskApp,
    paper: Paper,
    subject: str,
    write: Callable[[Path], object],
    *,
    title: str | None = None,
) -> Filed | None:
    """File `paper` (written by `write`) and print it; say what happened. None when no PDF was made."""
    try:
        filed = await app.call(lambda: file_paper(app.settings, paper, subject, write, title=title))
    except FontMissing:
        app.show_verdict("not_printed", app.t("print.no_font"))
        return None
    except OSError as exc:
        log.error("paper %s could not be written: %s", paper.value, type(exc).__name__)
        app.show_verdict("not_printed", app.t("print.not_written"))
        return None
    say_filed(app, filed)
    return filed
