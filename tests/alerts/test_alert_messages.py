"""Alert texts (pure): Indonesian, naming bidang, period, file, every problem with row and column, and the fix."""

from __future__ import annotations

from datetime import datetime

from alert_samples import INVALID_PROBLEMS, WIB, record

from iku.alerts import messages
from iku.config import load_config
from iku.domain.model import Problem
from iku.domain.periods import deadline
from iku.domain.status import MonthSubmission

CONTRACT_KEYS = {"kind", "bidang", "year", "month", "file", "problems", "message"}
# keys added to the contract's body (CONTRACT §8 lets a body gain keys, never lose one)
OPD_KEYS = {"opd", "opd_name"}
OPD = "Dinas Perumahan dan Kawasan Permukiman (disperkim-tjb)"


def _config():
    from pathlib import Path

    return load_config(Path(__file__).resolve().parents[2] / "config")


def test_invalid_submission_names_everything_a_person_needs():
    cfg = _config()
    rec = record("invalid", problems=INVALID_PROBLEMS, name="realisasi april.xlsx")
    msg = messages.invalid_submission(rec, cfg, "/srv/iku/inbox/perumahan")
    assert msg.kind == "invalid_submission" and msg.cause_key == f"invalid:{rec.sha256}"
    assert "Bidang Perumahan" in msg.subject and "April 2023" in msg.subject
    assert "realisasi april.xlsx" in msg.subject
    text = msg.text
    assert "TIDAK VALID" in text
    assert "Bidang Perumahan (perumahan)" in text
    assert "April 2023 (batas waktu 10 Mei 2023 pukul 23.59 WIB)" in text
    assert "Baris 7, kolom realisasi: Nilai realisasi negatif (-5)." in text
    assert "Baris 9, kolom kode_indikator:" in text
    assert "Berkas: Indikator IKU-05 tidak ada di berkas." in text
    # the fix, per column
    assert "bukan kumulatif" in text
    assert "IKU-01, IKU-02, IKU-03, IKU-05" in text
    assert "/srv/iku/inbox/perumahan" in text
    body = msg.webhook_body()
    assert set(body) == CONTRACT_KEYS | OPD_KEYS
    assert body == {
        "kind": "invalid_submission",
        "bidang": "perumahan",
        "year": 2023,
        "month": 4,
        "file": "realisasi april.xlsx",
        "problems": [
            {"row": 7, "column": "realisasi", "message": "Nilai realisasi negatif (-5)."},
            {
                "row": 9,
                "column": "kode_indikator",
                "message": "Kode indikator 'IKU-09' bukan indikator bidang ini.",
            },
            {"row": None, "column": None, "message": "Indikator IKU-05 tidak ada di berkas."},
        ],
        "message": body["message"],
        "opd": "disperkim-tjb",
        "opd_name": "Dinas Perumahan dan Kawasan Permukiman",
    }
    assert "tidak valid" in body["message"] and "3 masalah" in body["message"]


def test_unreadable_file_without_period():
    cfg = _config()
    rec = record(
        "unreadable",
        bidang="perkim",
        year=None,
        month=None,
        name="rusak.xlsx",
        problems=[Problem("Berkas terenkripsi (dilindungi kata sandi).")],
    )
    msg = messages.unreadable_file(rec, cfg)
    assert msg.kind == "unreadable_file" and msg.cause_key.startswith("unreadable:")
    assert "(periode tidak terbaca)" in msg.text and "rusak.xlsx" in msg.text
    assert "kata sandi" in msg.text and "simpan ulang sebagai .xlsx" in msg.text
    body = msg.webhook_body()
    assert set(body) == CONTRACT_KEYS | OPD_KEYS and body["year"] is None and body["month"] is None
    assert body["problems"] == [
        {"row": None, "column": None, "message": "Berkas terenkripsi (dilindungi kata sandi)."}
    ]
    assert messages.submission_alert(record("valid"), cfg) is None


def test_missing_and_reminder():
    cfg = _config()
    due = deadline(2023, 4, 10, "Asia/Jakarta")
    cell = MonthSubmission("perkim", 2023, 4, "missing", None, due)
    msg = messages.missing_submission(cell, cfg, datetime(2023, 5, 11, 7, 30, tzinfo=WIB))
    assert msg.cause_key == "missing:perkim:2023-04"
    assert msg.subject == f"[IKU] Laporan belum masuk: Bidang Perumahan dan Permukiman, April 2023 — {OPD}"
    assert "BELUM MASUK" in msg.text and "IKU-04" in msg.text and "11 Mei 2023 pukul 07.30 WIB" in msg.text
    body = msg.webhook_body()
    assert set(body) == CONTRACT_KEYS | OPD_KEYS
    assert (body["kind"], body["file"], body["problems"]) == ("missing_submission", None, [])

    pending = MonthSubmission("perkim", 2023, 4, "pending", None, due)
    rem = messages.reminder(pending, 3, cfg)
    assert rem.cause_key == "reminder:perkim:2023-04:H-3"
    assert "H-3" in rem.subject and "10 Mei 2023" in rem.subject
    assert rem.webhook_body()["kind"] == "reminder"
    assert rem.webhook_body()["days_before"] == 3


def test_recap_lists_what_came_in_and_what_is_late_invalid_missing():
    cfg = _config()
    recs = [
        record("valid", month=4),
        record("invalid", bidang="perkim", month=4, problems=INVALID_PROBLEMS[:1]),
    ]
    tz = "Asia/Jakarta"
    cells = [
        MonthSubmission(
            "perumahan", 2023, 3, "late", datetime(2023, 4, 12, 8, tzinfo=WIB), deadline(2023, 3, 10, tz)
        ),
        MonthSubmission(
            "perkim", 2023, 4, "invalid", datetime(2023, 5, 8, 9, tzinfo=WIB), deadline(2023, 4, 10, tz)
        ),
        MonthSubmission("perkim", 2023, 2, "missing", None, deadline(2023, 2, 10, tz)),
    ]
    msg = messages.recap(recs, cells, cfg, datetime(2023, 5, 8, 7, 5, tzinfo=WIB))
    assert msg.kind == "recap"
    assert "2 berkas baru" in msg.subject and "1 terlambat" in msg.subject and "1 belum masuk" in msg.subject
    assert "Terlambat (1):" in msg.text and "Maret 2023" in msg.text
    assert "Belum masuk setelah batas waktu (1):" in msg.text and "Februari 2023" in msg.text
    assert "TIDAK VALID, 1 masalah" in msg.text
    assert msg.cause_key == messages.recap_key(reversed(recs))  # order does not matter
    body = msg.webhook_body()
    assert body["missing"] == [{"bidang": "perkim", "year": 2023, "month": 2}]
    assert len(body["files"]) == 2
