"""Every paper is filed as a PDF in the configured reports folder and then printed through a real CUPS
queue (cups-pdf, started by .ci/run); no printer, a disabled queue or CUPS refusing the job leaves the
PDF where the clerk is told it is."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from reportlab.pdfgen.canvas import Canvas

from kiosk.config import Settings
from kiosk.domain.management_id import Refusal
from kiosk.reports.printing import Paper, PrintProblem, file_paper, paper_path, print_again
from tests.conftest import wait_printed


def one_page(path: Path) -> None:
    canvas = Canvas(str(path))
    canvas.drawString(100, 700, "daily close")
    canvas.showPage()
    canvas.save()


def office(tmp_path: Path, *, reports: str = "", labels: str = "") -> Settings:
    return Settings.model_validate(
        {"paths": {"data_dir": str(tmp_path / "var")}, "printers": {"reports": reports, "labels": labels}}
    )


def test_a_paper_is_kept_in_the_reports_folder_and_printed(tmp_path: Path, cups_queue: str) -> None:
    settings = office(tmp_path, reports=cups_queue)
    filed = file_paper(settings, Paper.DAILY_CLOSE, "2026-12-07", one_page)
    assert filed.printed
    assert filed.problem is None
    assert filed.pdf == tmp_path / "var" / "reports" / "daily-close-2026-12-07.pdf"
    assert filed.pdf.read_bytes().startswith(b"%PDF")
    assert filed.queue == cups_queue
    assert filed.job is not None
    wait_printed(cups_queue, filed.job)


def test_labels_go_to_the_labels_queue(tmp_path: Path, cups_queue: str) -> None:
    settings = office(tmp_path, reports="", labels=cups_queue)
    filed = file_paper(settings, Paper.LABELS, "receipt-7", one_page)
    assert filed.printed
    assert filed.queue == cups_queue
    assert filed.job is not None
    wait_printed(cups_queue, filed.job)
    # …while an A4 paper, with no reports queue configured, is kept and not printed.
    kept = file_paper(settings, Paper.LEDGER_BOOK, "2026-12", one_page)
    assert kept.problem is PrintProblem.NO_PRINTER
    assert kept.pdf.exists()


def test_a_disabled_queue_keeps_the_pdf_and_says_why(tmp_path: Path, cups_queue: str) -> None:
    subprocess.run(["cupsdisable", cups_queue], check=True, timeout=30)
    settings = office(tmp_path, reports=cups_queue)
    filed = file_paper(settings, Paper.DISPOSAL_CERTIFICATE, "R8-12", one_page)
    assert not filed.printed
    assert filed.problem is PrintProblem.PRINTER_ERROR
    assert "does not print now" in filed.detail
    assert filed.pdf.exists()
    assert filed.pdf.read_bytes().startswith(b"%PDF")
    # The printer is fixed: the kept PDF prints again.
    subprocess.run(["cupsenable", cups_queue], check=True, timeout=30)
    again = print_again(settings, filed)
    assert again.printed
    assert again.job is not None
    wait_printed(cups_queue, again.job)


def test_an_unknown_queue_keeps_the_pdf(tmp_path: Path, cups_queue: str) -> None:
    settings = office(tmp_path, reports=f"{cups_queue}-gone")
    filed = file_paper(settings, Paper.STOCKTAKE_REPORT, "3", one_page)
    assert filed.problem is PrintProblem.PRINTER_ERROR
    assert "CUPS has no queue" in filed.detail
    assert filed.pdf.exists()


def test_no_printer_configured_keeps_the_pdf(tmp_path: Path) -> None:
    filed = file_paper(office(tmp_path), Paper.REMINDER_LIST, "2026-12-07", one_page)
    assert filed.problem is PrintProblem.NO_PRINTER
    assert filed.pdf.exists()


def test_the_same_paper_twice_is_two_files(tmp_path: Path) -> None:
    settings = office(tmp_path)
    first = file_paper(settings, Paper.DAILY_CLOSE, "2026-12-07", one_page)
    second = file_paper(settings, Paper.DAILY_CLOSE, "2026-12-07", one_page)
    assert first.pdf != second.pdf
    assert second.pdf.name == "daily-close-2026-12-07-r2.pdf"
    assert first.pdf.exists()
    assert second.pdf.exists()


def test_a_failed_write_leaves_no_file_and_raises(tmp_path: Path) -> None:
    settings = office(tmp_path)

    def broken(path: Path) -> None:
        path.write_bytes(b"%PDF-half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        file_paper(settings, Paper.DAILY_CLOSE, "2026-12-07", broken)
    assert list((tmp_path / "var" / "reports").iterdir()) == []


@pytest.mark.parametrize("subject", ["1234-5678-9012", "x123456789012", "２０２６１２０７１２３４"])
def test_no_paper_name_holds_a_run_the_guard_takes_for_an_individual_number(
    tmp_path: Path, subject: str
) -> None:
    with pytest.raises((Refusal, ValueError)):
        paper_path(office(tmp_path), Paper.DAILY_CLOSE, subject)


def test_a_paper_name_is_plain(tmp_path: Path) -> None:
    for subject in ("../etc", "a/b", "x y", "<b>"):
        with pytest.raises(ValueError, match="a paper's name is letters"):
            paper_path(office(tmp_path), Paper.LABELS, subject)
