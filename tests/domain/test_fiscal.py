"""The 廃棄証明書's number: April-start fiscal years (年度) in the Japanese era, a serial per year."""

from __future__ import annotations

from datetime import date

from kiosk.domain.fiscal import CertificateNo, fiscal_year, fiscal_year_ja, number_by_fiscal_year


def test_march_31_is_still_the_old_fiscal_year_and_april_1_the_new() -> None:
    assert fiscal_year(date(2027, 3, 31)) == 2026
    assert fiscal_year(date(2027, 4, 1)) == 2027
    assert fiscal_year(date(2026, 12, 31)) == 2026
    assert fiscal_year(date(2027, 1, 1)) == 2026
    assert fiscal_year_ja(2026) == "令和8年度"
    assert fiscal_year_ja(2027) == "令和9年度"
    assert fiscal_year_ja(2019) == "令和元年度"
    assert fiscal_year_ja(2018) == "平成30年度"


def test_two_batches_in_one_year_are_1_and_2_and_a_new_year_starts_at_1() -> None:
    numbers = number_by_fiscal_year(
        [(101, date(2026, 4, 1)), (205, date(2027, 3, 31)), (330, date(2027, 4, 1)), (412, date(2027, 5, 9))]
    )
    assert numbers == {
        101: CertificateNo(2026, 1),
        205: CertificateNo(2026, 2),
        330: CertificateNo(2027, 1),
        412: CertificateNo(2027, 2),
    }
    assert numbers[205].ja == "令和8年度 第2号"
    assert numbers[330].ja == "令和9年度 第1号"
    assert numbers[205].slug == "R8-2"
