"""The office's printers, through CUPS's own commands (`lpstat`, `lp` from cups-bsd/cups-client).

The kiosk prints label sheets and A4 reports to CUPS queues named in `[printers]`; `kiosk doctor` checks
that each configured queue exists, is enabled and accepts jobs, lists every queue it finds, and prints
a test page on request. Nothing here talks IPP itself: what `lpstat` says is what an office's IT
person sees too.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CUPS_PACKAGES = "cups cups-bsd"


def _c_locale() -> dict[str, str]:
    """The environment as it is now (CUPS_SERVER and the like) in the C locale: lpstat's wording is
    parsed, whatever the office's language. Taken at each call, not at import."""
    return {**os.environ, "LANG": "C", "LC_ALL": "C"}


class PrinterError(Exception):
    """CUPS could not be asked or did not take the job; the message says what to do."""


@dataclass(frozen=True, slots=True)
class QueueState:
    """One CUPS queue as `lpstat` reports it."""

    name: str
    enabled: bool
    accepting: bool
    detail: str  # lpstat's own line, e.g. "printer labels is idle.  enabled since …"

    @property
    def ready(self) -> bool:
        return self.enabled and self.accepting


def _lpstat(*args: str) -> subprocess.CompletedProcess[str]:
    program = shutil.which("lpstat")
    if program is None:
        raise PrinterError(f"lpstat is not installed: apt install {CUPS_PACKAGES}")
    return subprocess.run(  # noqa: S603 - a fixed program, arguments are queue names from lpstat itself
        [program, *args], capture_output=True, text=True, timeout=20, check=False, env=_c_locale()
    )


def scheduler_running() -> bool:
    """Whether cupsd answers (`lpstat -r`)."""
    return _lpstat("-r").stdout.strip() == "scheduler is running"


def queues() -> list[str]:
    """Every CUPS destination on this machine (`lpstat -e`); raises when CUPS does not answer."""
    if not scheduler_running():
        raise PrinterError("CUPS is not running: systemctl enable --now cups")
    done = _lpstat("-e")
    if done.returncode != 0 and "No destinations" not in done.stderr:
        raise PrinterError(f"lpstat -e failed: {(done.stderr or done.stdout).strip()}")
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def queue_state(name: str) -> QueueState | None:
    """The queue's state, or None when CUPS has no such queue."""
    if name not in queues():
        return None
    printer = _lpstat("-p", name).stdout.strip()
    accepting = _lpstat("-a", name).stdout.strip()
    first = printer.splitlines()[0] if printer else ""
    return QueueState(
        name=name,
        enabled=bool(first) and " disabled" not in first,
        accepting=bool(accepting) and "not accepting" not in accepting.splitlines()[0],
        detail=first,
    )


def test_page(path: Path, queue: str, font_file: Path, kiosk_name: str) -> None:
    """Write a one-page A4 PDF that shows the printer prints Japanese, and where its margins are."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    from kiosk.reports.fonts import japanese_font

    font = japanese_font(font_file)
    width, height = A4
    canvas = Canvas(str(path), pagesize=A4)
    canvas.setTitle("kiosk test page")
    canvas.setFont(font, 20)
    canvas.drawString(20 * mm, height - 30 * mm, "テストページ（マイナンバーカード保管庫キオスク）")
    canvas.setFont(font, 11)
    lines = [
        f"プリンター（CUPS のキュー）: {queue}",
        f"キオスク: {kiosk_name}",
        f"印刷日時 (UTC): {datetime.now(UTC):%Y-%m-%d %H:%M}",
        "日本語が正しく印刷されていれば、この行が読めます。",
        "枠線は用紙の端から 10 mm の位置です。",
        "ラベル用紙の位置合わせは [labels] offset_x_mm / offset_y_mm で。",
        "Test page: if you can read the Japanese above, the queue prints the kiosk's reports.",
    ]
    for i, line in enumerate(lines):
        canvas.drawString(20 * mm, height - (45 + 8 * i) * mm, line)
    canvas.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    canvas.showPage()
    canvas.save()


_REQUEST = re.compile(r"request id is (\S+)")


def print_file(queue: str, path: Path, title: str) -> str:
    """Send a PDF to `queue` with `lp`; return CUPS's job id (e.g. "reports-12").

    Raises `PrinterError` saying what is wrong (no such queue, the queue disabled or not accepting,
    CUPS not running, `lp` refusing the job).
    """
    state = queue_state(queue)
    if state is None:
        found = ", ".join(queues()) or "none"
        raise PrinterError(f"CUPS has no queue {queue!r} (queues here: {found}); add it with lpadmin")
    if not state.ready:
        raise PrinterError(f"the queue {queue!r} does not print now: {state.detail or 'disabled'}")
    program = shutil.which("lp")
    if program is None:
        raise PrinterError(f"lp is not installed: apt install {CUPS_PACKAGES}")
    done = subprocess.run(  # noqa: S603 - a fixed program; the queue exists in CUPS, the file is ours
        [program, "-d", queue, "-t", title, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=_c_locale(),
    )
    match = _REQUEST.search(done.stdout)
    if done.returncode != 0 or match is None:
        raise PrinterError(f"CUPS did not take the job: {(done.stderr or done.stdout).strip()}")
    return match[1]


def print_test_page(queue: str, font_file: Path, kiosk_name: str) -> str:
    """Send the test page to `queue`; return CUPS's job id (e.g. "labels-12")."""
    if queue_state(queue) is None:
        found = ", ".join(queues()) or "none"
        raise PrinterError(f"CUPS has no queue {queue!r} (queues here: {found}); add it with lpadmin")
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "kiosk-test-page.pdf"
        test_page(page, queue, font_file, kiosk_name)
        try:
            return print_file(queue, page, "kiosk test page")
        except PrinterError as exc:
            raise PrinterError(str(exc).replace("the job", "the test page")) from None
