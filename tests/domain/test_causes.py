"""Faktor pendorong / penghambat / tindak lanjut gathered per indicator and year."""

from __future__ import annotations

from datetime import UTC, datetime

from iku.domain.causes import gather_causes
from iku.domain.model import MonthlyValue


def mv(month, supporting=None, inhibiting=None, follow_up=None, code="IKU-02", year=2023):
    return MonthlyValue(
        "perumahan", code, year, month, 1, None, None, None, f"f{month}.xlsx", "x", 1,
        datetime(2023, 1, 1, tzinfo=UTC), supporting, inhibiting, follow_up,
    )  # fmt: skip


def test_same_words_in_several_months_are_one_cause_with_its_months():
    values = [
        mv(5, inhibiting="Cuaca  buruk"),
        mv(3, supporting="Dukungan DAK", inhibiting="cuaca buruk"),
        mv(4, inhibiting="Material terlambat", follow_up="Percepat lelang"),
        mv(4, supporting="lain", code="IKU-03"),
        mv(2, supporting="tahun lalu", year=2022),
        mv(6, supporting="  "),
    ]
    c = gather_causes(values, "IKU-02", 2023)
    assert [(x.text, x.months) for x in c.supporting] == [("Dukungan DAK", (3,))]
    assert [(x.text, x.months, x.months_text) for x in c.inhibiting] == [
        ("cuaca buruk", (3, 5), "Maret, Mei"),
        ("Material terlambat", (4,), "April"),
    ]
    assert c.inhibiting[0].files == ("f3.xlsx", "f5.xlsx")
    assert [x.text for x in c.follow_up] == ["Percepat lelang"] and not c.empty
    assert gather_causes(values, "IKU-05", 2023).empty
