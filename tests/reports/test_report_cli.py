"""`kiosk report daily|ledger` on the demo ledger: the format follows the file's extension."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.reports.conftest import needs_poppler
from tests.retention.test_cli import demo_env, kiosk

__all__ = ["demo_env"]  # the fixture, shared with the retention CLI tests


@needs_poppler
def test_report_commands_write_pdf_and_csv(demo_env: dict[str, str], tmp_path: Path) -> None:
    daily_pdf = tmp_path / "daily.pdf"
    result = kiosk(demo_env, "report", "daily", "-o", str(daily_pdf))
    assert result.returncode == 0, result.stderr
    text = subprocess.run(
        ["pdftotext", str(daily_pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "日次締め報告書" in text
    assert "受領 received" in text

    book_csv = tmp_path / "book.csv"
    today = result.stdout.split()[5]  # "wrote the daily close of YYYY-MM-DD to …"
    result = kiosk(demo_env, "report", "ledger", "--from", today, "--to", today, "-o", str(book_csv))
    assert result.returncode == 0, result.stderr
    lines = book_csv.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("連番,日時,事象,管理ID")
    assert any(",交付通知書送付," in line for line in lines)

    wrong = kiosk(demo_env, "report", "daily", "-o", str(tmp_path / "daily.txt"))
    assert wrong.returncode == 2
    assert "ends in .pdf or .csv" in wrong.stderr
    missing = kiosk(
        {**demo_env, "KIOSK_REPORTS__FONT_FILE": str(tmp_path / "none.ttf")},
        "report",
        "daily",
        "-o",
        str(daily_pdf),
    )
    assert missing.returncode == 2
    assert "fonts-ipaexfont-gothic" in missing.stderr
