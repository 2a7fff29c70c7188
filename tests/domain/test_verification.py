"""Verification and approval rules (CONTRACT §12): every transition and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from iku.config import ConfigError, load_config
from iku.domain.verification import (
    QuarterApproval,
    StoredState,
    TransitionRefused,
    approve,
    closes_at,
    month_state,
    quarter_locked,
    quarter_state,
    return_month,
    unlock,
    verify,
)

WIB = ZoneInfo("Asia/Jakarta")
OPEN = {"locked": False, "year": 2023, "month": 4}


def test_a_month_is_received_with_a_valid_submission_and_keeps_its_state_for_it():
    assert month_state(None, None) is None
    assert month_state(7, None) == "diterima"
    assert month_state(7, StoredState("diverifikasi", 7)) == "diverifikasi"
    assert month_state(7, StoredState("dikembalikan", 7, note="angka Mei salah")) == "dikembalikan"


def test_a_new_submission_starts_again_at_received():
    # a correction for a returned month, and a new file for a verified (not locked) month
    assert month_state(8, StoredState("dikembalikan", 7, note="x")) == "diterima"
    assert month_state(8, StoredState("diverifikasi", 7)) == "diterima"


def test_verify_from_received_or_returned():
    assert verify("perencana", "diterima", **OPEN) == "diverifikasi"
    assert verify("operator", "dikembalikan", **OPEN) == "diverifikasi"


def test_return_needs_a_note_and_then_a_resubmission_is_verified():
    with pytest.raises(TransitionRefused, match="catatan wajib diisi"):
        return_month("perencana", "diterima", "  ", **OPEN)
    assert return_month("perencana", "diterima", "Realisasi Mei tertukar", **OPEN) == "dikembalikan"
    assert return_month("perencana", "diverifikasi", "Ternyata salah", **OPEN) == "dikembalikan"
    stored = StoredState("dikembalikan", 7, note="Realisasi Mei tertukar")
    resubmitted = month_state(9, stored)
    assert resubmitted == "diterima"
    assert verify("perencana", resubmitted, **OPEN) == "diverifikasi"


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: verify("perencana", None, **OPEN), "April 2023 belum mempunyai kiriman yang valid"),
        (lambda: verify("perencana", "diverifikasi", **OPEN), "April 2023 sudah diverifikasi"),
        (
            lambda: verify("perencana", "diterima", locked=True, year=2023, month=4),
            "Triwulan II 2023 yang sudah disetujui dan dikunci; buka kuncinya dulu",
        ),
        (lambda: return_month("perencana", "dikembalikan", "lagi", **OPEN), "sudah dikembalikan"),
        (lambda: return_month("perencana", None, "catatan", **OPEN), "belum mempunyai kiriman yang valid"),
        (lambda: verify("bidang", "diterima", **OPEN), "peran bidang tidak dapat memverifikasi bulan"),
        (lambda: return_month("bidang", "diterima", "x", **OPEN), "peran bidang tidak dapat mengembalikan"),
        (lambda: verify("kabupaten", "diterima", **OPEN), "peran kabupaten hanya dapat melihat"),
        (lambda: verify("kepala", "diterima", **OPEN), "wewenang perencana, bukan kepala"),
        (lambda: verify("tamu", "diterima", **OPEN), "peran 'tamu' tidak dikenal"),
    ],
)
def test_month_refusals_say_why(call, expected):
    with pytest.raises(TransitionRefused, match=expected):
        call()


def _states(value="diverifikasi", **changed):
    states = {(b, m): value for b in ("perumahan", "perkim") for m in (4, 5, 6)}
    states.update(changed)
    return states


def test_approve_a_quarter_with_every_month_verified():
    assert (
        approve("kepala", _states(), ["perumahan", "perkim"], locked=False, year=2023, quarter=2)
        == "disetujui"
    )


def test_approve_with_a_month_not_verified_is_refused_naming_it():
    states = _states()
    states[("perkim", 5)] = "diterima"
    del states[("perumahan", 6)]
    with pytest.raises(TransitionRefused) as err:
        approve("kepala", states, ["perumahan", "perkim"], locked=False, year=2023, quarter=2)
    message = str(err.value)
    assert message.startswith("Triwulan II 2023 belum dapat disetujui; belum diverifikasi:")
    assert "perumahan Juni (belum ada data valid)" in message and "perkim Mei (diterima)" in message


@pytest.mark.parametrize("role", ["bidang", "kabupaten", "perencana"])
def test_only_the_kepala_approves(role):
    with pytest.raises(TransitionRefused):
        approve(role, _states(), ["perumahan"], locked=False, year=2023, quarter=2)


def test_approving_twice_is_refused():
    with pytest.raises(TransitionRefused, match="sudah disetujui dan dikunci"):
        approve("kepala", _states(), ["perumahan"], locked=True, year=2023, quarter=2)


def test_unlock_needs_a_reason_and_a_lock():
    unlock("kepala", "Koreksi data Mei dari BPS", locked=True, year=2023, quarter=2)
    with pytest.raises(TransitionRefused, match="alasan wajib diisi"):
        unlock("kepala", "", locked=True, year=2023, quarter=2)
    with pytest.raises(TransitionRefused, match="tidak sedang dikunci"):
        unlock("kepala", "alasan", locked=False, year=2023, quarter=2)
    for role in ("bidang", "kabupaten", "perencana"):
        with pytest.raises(TransitionRefused):
            unlock(role, "alasan", locked=True, year=2023, quarter=2)


def test_an_approved_quarter_is_locked_until_unlocked():
    approved = QuarterApproval("Kepala", datetime(2023, 7, 20, tzinfo=UTC), locked=True)
    now = datetime(2023, 8, 1, tzinfo=UTC)
    assert quarter_locked(approved, 2023, 2, now)
    assert quarter_state(approved) == "disetujui"
    unlocked = QuarterApproval("Kepala", approved.approved_at, False, "Kepala", now, "koreksi")
    assert not quarter_locked(unlocked, 2023, 2, now)
    assert quarter_state(unlocked) is None
    assert not quarter_locked(None, 2023, 2, now)


def test_lock_after_days_closes_a_quarter_n_days_after_its_end():
    closing = closes_at(2023, 2, 15, "Asia/Jakarta")
    assert closing == datetime(2023, 7, 15, 23, 59, 59, 999999, tzinfo=WIB)
    assert closes_at(2023, 4, 1, "Asia/Jakarta") == datetime(2024, 1, 1, 23, 59, 59, 999999, tzinfo=WIB)
    assert closes_at(2023, 2, None, "Asia/Jakarta") is None
    before = datetime(2023, 7, 15, 23, 0, tzinfo=WIB)
    after = datetime(2023, 7, 16, 0, 0, tzinfo=WIB)
    assert not quarter_locked(None, 2023, 2, before, lock_after_days=15)
    assert quarter_locked(None, 2023, 2, after, lock_after_days=15)
    assert not quarter_locked(None, 2023, 2, after)  # no setting, no automatic close
    # unlocked after it closed: open; an unlock before the close does not keep it open
    reopened = QuarterApproval(None, None, False, "Kepala", datetime(2023, 7, 20, tzinfo=UTC), "terlambat")
    assert not quarter_locked(reopened, 2023, 2, datetime(2023, 8, 1, tzinfo=UTC), lock_after_days=15)
    early = QuarterApproval(None, None, False, "Kepala", datetime(2023, 7, 10, tzinfo=UTC), "koreksi")
    assert quarter_locked(early, 2023, 2, datetime(2023, 8, 1, tzinfo=UTC), lock_after_days=15)


def test_lock_after_days_in_pipeline_yaml(config_copy):
    path = config_copy / "pipeline.yaml"
    text = path.read_text(encoding="utf-8")
    assert load_config(config_copy).pipeline.lock_after_days is None
    path.write_text(text + "lock_after_days: 30\n", encoding="utf-8")
    assert load_config(config_copy).pipeline.lock_after_days == 30
    path.write_text(text + "lock_after_days: 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lock_after_days: tidak boleh kurang dari 1"):
        load_config(config_copy)
