"""`kiosk report daily|ledger` on the demo ledger: the format follows the file's extension."""

from __future__ import annotations

from pathlib import Path

from tests import warm
from tests.ledger.helpers import ids
from tests.reports.conftest import needs_poppler
from tests.retention.test_cli import demo_env, kiosk

__all__ = ["demo_env"]  # the fixture, shared with the retention CLI tests


@needs_poppler
def test_report_commands_write_pdf_and_csv(demo_env: dict[str, str], tmp_path: Path) -> None:
    daily_pdf = tmp_path / "daily.pdf"
    unsigned = kiosk(demo_env, "report", "daily", "-o", str(daily_pdf))
    assert unsigned.returncode == 2  # the close needs a responsible officer
    assert "--operator BADGE" in unsigned.stderr
    result = kiosk(demo_env, "report", "daily", "--operator", "O001", "-o", str(daily_pdf), stdin="1111\n")
    assert result.returncode == 0, result.stderr
    text = warm.run(["pdftotext", str(daily_pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "日次締め報告書" in text
    assert "前日残" in text
    assert "当日残" in text
    # The daily close is the day's integrity step too: a full verify, a backup that exists, an anchor.
    backup_line = next(line for line in result.stdout.splitlines() if line.startswith("verified "))
    assert Path(backup_line.split("backup ", 1)[1]).is_file()
    assert any(line.startswith("anchor ") for line in result.stdout.splitlines())
    assert "closed by 保管 正子" in result.stdout
    assert "ledger_verified" in kiosk(
        demo_env, "ledger", "export", "--format", "csv", "-o", str(tmp_path / "e.csv")
    ).stdout + (tmp_path / "e.csv").read_text(encoding="utf-8-sig")

    book_csv = tmp_path / "book.csv"
    today = result.stdout.split()[5]  # "wrote the daily close of YYYY-MM-DD to …"
    result = kiosk(demo_env, "report", "ledger", "--from", today, "--to", today, "-o", str(book_csv))
    assert result.returncode == 0, result.stderr
    lines = book_csv.read_bytes().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("連番,日時,事象,内容,管理ID")
    assert any(",交付通知書送付," in line for line in lines)
    assert not any(",サインイン," in line for line in lines)  # in the access log instead

    register_pdf = tmp_path / "register.pdf"
    result = kiosk(demo_env, "report", "register", "-o", str(register_pdf))
    assert result.returncode == 0, result.stderr
    assert "wrote the card register (" in result.stdout
    text = warm.run(["pdftotext", str(register_pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "カード台帳" in text
    assert "確認欄" in text
    access_csv = tmp_path / "access.csv"
    result = kiosk(demo_env, "report", "access", "--from", today, "--to", today, "-o", str(access_csv))
    assert result.returncode == 0, result.stderr
    assert access_csv.read_bytes().decode("utf-8-sig").startswith("連番,日時,事象,職員,内容,端末")

    wrong = kiosk(demo_env, "report", "daily", "--preview", "-o", str(tmp_path / "daily.txt"))
    assert wrong.returncode == 2
    assert "ends in .pdf or .csv" in wrong.stderr
    missing = kiosk(
        {**demo_env, "KIOSK_REPORTS__FONT_FILE": str(tmp_path / "none.ttf")},
        "report",
        "daily",
        "--preview",
        "-o",
        str(daily_pdf),
    )
    assert missing.returncode == 2
    assert "fonts-ipaexfont-gothic" in missing.stderr


@needs_poppler
def test_labels_command_prints_a_run_or_the_ids_of_a_csv(demo_env: dict[str, str], tmp_path: Path) -> None:
    first, *_ = ids(1, start=700)
    pdf = tmp_path / "labels.pdf"
    result = kiosk(demo_env, "labels", "--from", first, "--count", "30", "--sheet", "a4-24", "-o", str(pdf))
    assert result.returncode == 0, result.stderr
    assert "wrote 30 labels" in result.stdout
    assert "on 2 a4-24 sheet(s)" in result.stdout
    text = warm.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert first in text

    delivery = tmp_path / "delivery.csv"
    a, b = ids(2, start=800)
    delivery.write_text(f"management_id,kind\n{a},mynumber_card\n{b},notification_card\n", encoding="utf-8")
    result = kiosk(demo_env, "labels", "--csv", str(delivery), "-o", str(pdf))
    assert result.returncode == 0, result.stderr
    assert f"wrote 2 labels ({a} … {b}) on 1 a4-44 sheet(s)" in result.stdout

    twelve = "".join(str(i % 10) for i in range(3, 15))
    delivery.write_text(f"{a}\n{twelve}\n", encoding="utf-8")
    bad = kiosk(demo_env, "labels", "--csv", str(delivery), "-o", str(pdf))
    assert bad.returncode == 2
    assert "line 2: mynumber_refused" in bad.stderr
    assert twelve not in bad.stderr
    wrong = kiosk(
        demo_env,
        "labels",
        "--from",
        f"{first[:-1]}{(int(first[-1]) + 1) % 10}",
        "--count",
        "2",
        "-o",
        str(pdf),
    )
    assert wrong.returncode == 2
    assert "check_digit" in wrong.stderr


@needs_poppler
def test_card_reminder_and_disposal_papers_on_the_command_line(
    demo_env: dict[str, str], tmp_path: Path
) -> None:
    import json

    lists = json.loads(kiosk(demo_env, "due", "--json").stdout)
    card = lists["reminders_due"][0]["management_id"]
    pdf = tmp_path / "card.pdf"
    done = kiosk(demo_env, "report", "card", card, "-o", str(pdf))
    assert done.returncode == 0, done.stderr
    assert f"wrote the register of {card}" in done.stdout
    text = warm.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "カード別履歴" in text
    assert card in text

    merge = tmp_path / "reminders.csv"
    done = kiosk(demo_env, "report", "reminders", "-o", str(merge))
    assert done.returncode == 0, done.stderr
    rows = merge.read_bytes().decode("utf-8-sig").splitlines()
    assert rows[0].startswith("管理ID,種別,申請者参照")
    assert len(rows) == len(lists["reminders_due"]) + 1

    unknown = kiosk(demo_env, "report", "card", ids(1, start=99_999)[0], "-o", str(pdf))
    assert unknown.returncode == 2
    assert "is not in the ledger" in unknown.stderr
    no_batch = kiosk(demo_env, "report", "disposal", "424242", "--certificate", "-o", str(pdf))
    assert no_batch.returncode == 2
    assert "there is no disposal batch 424242" in no_batch.stderr
    wrong = kiosk(demo_env, "report", "disposal", "1", "--certificate", "-o", str(merge))
    assert wrong.returncode == 2
    assert "the certificate is written as .pdf" in wrong.stderr
