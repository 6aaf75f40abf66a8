"""Every paper the kiosk makes is filed as a PDF in the reports folder, then printed through CUPS.

The order matters: the PDF is written (to a temporary name, then renamed) before anything is sent to a
printer, so a missing printer, a jammed queue or CUPS not running never loses a document: the screen
says what went wrong and where the PDF is, and it can be printed again from there. Label sheets go to
the `[printers] labels` queue, every A4 paper to `[printers] reports`; an empty name means this office
prints by hand from the PDF.

File names carry the paper's kind, its subject (a day, a batch number) and, when the same paper is made
again, `-r2`, `-r3` …; never a time of day, so no name holds a run of digits the My Number guard would
take for an individual number.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.appliance.printers import PrinterError, print_file
from kiosk.domain.guard import ensure_not_individual_number

if TYPE_CHECKING:
    from kiosk.config import Settings


class Paper(StrEnum):
    """The papers of the office's day; the value starts the PDF's file name."""

    DAILY_CLOSE = "daily-close"
    LEDGER_BOOK = "ledger-book"
    CARD_REGISTER = "card-register"
    ACCESS_LOG = "access-log"
    REMINDER_LIST = "reminder-list"
    DISPOSAL_LIST = "disposal-list"
    DISPOSAL_CERTIFICATE = "disposal-certificate"
    STOCKTAKE_REPORT = "stocktake-report"
    RECEIPT = "receipt"
    LABELS = "labels"

    @property
    def on_labels(self) -> bool:
        return self is Paper.LABELS


class PrintProblem(StrEnum):
    """Why a filed paper was not printed (the screen says each in words, with the PDF's path)."""

    NO_PRINTER = "no_printer"  # no queue configured for this kind of paper
    PRINTER_ERROR = "printer_error"  # CUPS down, no such queue, queue disabled, job refused


@dataclass(frozen=True, slots=True)
class Filed:
    """A paper kept as `pdf`; printed as CUPS job `job` on `queue`, or not, and why (`problem`)."""

    pdf: Path
    queue: str
    job: str | None = None
    problem: PrintProblem | None = None
    detail: str = ""  # CUPS's own words (English), for the log and the technician

    @property
    def printed(self) -> bool:
        return self.job is not None


_STEM = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}")


def reports_folder(settings: Settings) -> Path:
    from kiosk.config import data_paths

    return data_paths(settings).reports


def paper_path(settings: Settings, paper: Paper, subject: str) -> Path:
    """A new file name for `paper` about `subject` in the reports folder (never an existing one)."""
    stem = f"{paper.value}-{subject}" if subject else paper.value
    if not _STEM.fullmatch(stem):
        raise ValueError(f"a paper's name is letters, digits, '.', '_' and '-': {paper.value}")
    ensure_not_individual_number(stem, "paper name")
    folder = reports_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.pdf"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-r{n}.pdf"
    return path


def file_paper(
    settings: Settings,
    paper: Paper,
    subject: str,
    write: Callable[[Path], object],
    *,
    title: str | None = None,
    print_it: bool = True,
) -> Filed:
    """Write a paper with `write(path)` into the reports folder, then print it (unless `print_it` is off).

    A failure to write (no Japanese font, a full disk) raises: there is no paper to speak of. A
    failure to print returns a `Filed` with the problem: the PDF is kept either way.
    """
    path = paper_path(settings, paper, subject)
    partial = path.with_name(f".{path.stem}.partial{path.suffix}")  # writers choose by suffix
    try:
        write(partial)
        with partial.open("rb") as f:
            os.fsync(f.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    queue = settings.printers.labels if paper.on_labels else settings.printers.reports
    if not print_it:
        return Filed(path, queue)
    if not queue:
        return Filed(path, queue, problem=PrintProblem.NO_PRINTER, detail="no CUPS queue configured")
    try:
        job = print_file(queue, path, title or path.stem)
    except PrinterError as exc:
        return Filed(path, queue, problem=PrintProblem.PRINTER_ERROR, detail=str(exc))
    except (OSError, subprocess.SubprocessError) as exc:  # lp hung or could not be run
        return Filed(path, queue, problem=PrintProblem.PRINTER_ERROR, detail=f"lp failed: {exc}")
    return Filed(path, queue, job=job)


def print_again(settings: Settings, filed: Filed) -> Filed:
    """Send a kept PDF to its queue again (after the printer was fixed)."""
    queue = filed.queue or settings.printers.reports
    if not queue:
        return Filed(filed.pdf, queue, problem=PrintProblem.NO_PRINTER, detail="no CUPS queue configured")
    try:
        return Filed(filed.pdf, queue, job=print_file(queue, filed.pdf, filed.pdf.stem))
    except PrinterError as exc:
        return Filed(filed.pdf, queue, problem=PrintProblem.PRINTER_ERROR, detail=str(exc))
