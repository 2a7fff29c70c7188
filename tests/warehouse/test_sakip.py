"""The SAKIP cycle in the warehouse (CONTRACT §12), on SQLite and a real
PostgreSQL: verification, approval and locks, the append-only audit log, evidence."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from sqlalchemy import create_engine, select, text, update
from sqlalchemy.exc import DatabaseError

from iku.domain.model import Held, SubmissionRecord, ValueRow
from iku.domain.verification import AUDIT_ACTION_LABELS, TransitionRefused
from iku.warehouse import Warehouse
from iku.warehouse.sakip import EvidenceRefused, Sakip, sniff
from iku.warehouse.schema import AUDIT_LOG_GUARDS, audit_log, metadata, submission

OPD = "disperkim-tjb"


def record(sha, month=4, value=1.0, bidang="perumahan", status="valid"):
    return SubmissionRecord(
        sha256=sha,
        bidang=bidang,
        file_name=f"{sha}.xlsx",
        source_path=f"/in/{sha}.xlsx",
        archive_path=f"/ar/{sha}.xlsx",
        size_bytes=10,
        received_at=datetime(2023, 5, 1, tzinfo=UTC),
        status=status,
        year=2023,
        month=month,
        values=[ValueRow("IKU-02", value, None, None, None, 2)] if status == "valid" else [],
    )


def record_as_consolidation_will(wh, rec, **lock):
    """Record a file as the consolidation does (Warehouse.record_many holds a
    file of a locked quarter in the transaction that records it); the periods
    whose new file stayed "terkunci"."""
    wh.record_many(OPD, [rec], **lock)
    return {(rec.bidang, rec.year, rec.month)} if rec.held else set()


@pytest.fixture
def wh(warehouse_url):
    warehouse = Warehouse(warehouse_url)
    warehouse.migrate()
    return warehouse


def current(wh, month=4):
    return [(v.sha256, v.realisation) for v in wh.current_values(OPD, 2023) if v.month == month]


def test_verify_return_then_a_resubmission_starts_again_at_received(wh):
    sakip = Sakip(wh)
    wh.record(OPD, record("a1", value=150))
    assert sakip.states(OPD, 2023)[("perumahan", 4)].state == "diterima"
    returned = sakip.return_month(
        OPD, "perumahan", 2023, 4, " Realisasi April tertukar ", actor="Rina", role="perencana"
    )
    assert (returned.state, returned.note, returned.by) == (
        "dikembalikan",
        "Realisasi April tertukar",
        "Rina",
    )
    assert returned.as_dict()["verification_note"] == "Realisasi April tertukar"
    wh.record(OPD, record("a2", value=15))  # the correction
    view = sakip.states(OPD, 2023)[("perumahan", 4)]
    assert (view.state, view.note, view.locked) == ("diterima", None, False)
    verified = sakip.verify(OPD, "perumahan", 2023, 4, actor="Rina", role="perencana")
    assert verified.state == "diverifikasi"
    # a new file for a verified month that is not locked: verified no longer holds
    wh.record(OPD, record("a3", value=16))
    assert sakip.states(OPD, 2023)[("perumahan", 4)].state == "diterima"
    entries = sakip.audit(OPD, role="kepala")
    assert [(e.action, e.target, e.actor, e.role, e.note) for e in entries] == [
        ("return", "perumahan/2023-04", "Rina", "perencana", "Realisasi April tertukar"),
        ("verify", "perumahan/2023-04", "Rina", "perencana", None),
    ]


def test_refused_actions_change_nothing_and_leave_no_record(wh):
    sakip = Sakip(wh)
    with pytest.raises(TransitionRefused, match="belum mempunyai kiriman yang valid"):
        sakip.verify(OPD, "perumahan", 2023, 4, actor="Rina", role="perencana")
    wh.record(OPD, record("b1", status="invalid"))
    with pytest.raises(TransitionRefused, match="belum mempunyai kiriman yang valid"):
        sakip.verify(OPD, "perumahan", 2023, 4, actor="Rina", role="perencana")
    wh.record(OPD, record("b2"))
    with pytest.raises(TransitionRefused, match="catatan wajib diisi"):
        sakip.return_month(OPD, "perumahan", 2023, 4, "", actor="Rina", role="perencana")
    with pytest.raises(TransitionRefused, match="peran bidang tidak dapat memverifikasi"):
        sakip.verify(OPD, "perumahan", 2023, 4, actor="Budi", role="bidang")
    with pytest.raises(TransitionRefused, match="peran kabupaten hanya dapat melihat"):
        sakip.return_month(OPD, "perumahan", 2023, 4, "x", actor="Bappeda", role="kabupaten")
    with pytest.raises(TransitionRefused, match="tidak dapat membaca log audit"):
        sakip.audit(OPD, role="bidang")
    assert sakip.states(OPD, 2023)[("perumahan", 4)].state == "diterima"
    assert sakip.audit(OPD, role="kabupaten") == []


def _verified_quarter(wh, sakip):
    for month in (4, 5, 6):
        wh.record(OPD, record(f"q{month}", month=month, value=10 + month))
        sakip.verify(OPD, "perumahan", 2023, month, actor="Rina", role="perencana")


def test_approve_needs_every_month_verified(wh):
    sakip = Sakip(wh)
    for month in (4, 5, 6):
        wh.record(OPD, record(f"q{month}", month=month))
    sakip.verify(OPD, "perumahan", 2023, 4, actor="Rina", role="perencana")
    with pytest.raises(
        TransitionRefused, match=r"belum diverifikasi: perumahan Mei \(diterima\), perumahan Juni"
    ):
        sakip.approve(OPD, 2023, 2, ["perumahan"], actor="Kadis", role="kepala")
    assert not sakip.is_locked(OPD, 2023, 4)
    assert [e.action for e in sakip.audit(OPD)] == ["verify"]


def test_a_locked_month_records_a_file_that_never_becomes_current_until_unlock(wh):
    sakip = Sakip(wh)
    _verified_quarter(wh, sakip)
    with pytest.raises(TransitionRefused, match="wewenang kepala, bukan perencana"):
        sakip.approve(OPD, 2023, 2, ["perumahan"], actor="Rina", role="perencana")
    approved = sakip.approve(OPD, 2023, 2, ["perumahan"], actor="Kadis", role="kepala")
    assert (approved.state, approved.locked, approved.approval.approved_by) == ("disetujui", True, "Kadis")
    assert sakip.is_locked(OPD, 2023, 5) and not sakip.is_locked(OPD, 2023, 7)
    assert sakip.locked_months(OPD, 2023) == {4, 5, 6}
    with pytest.raises(TransitionRefused, match="sudah disetujui dan dikunci; buka kuncinya dulu"):
        sakip.return_month(OPD, "perumahan", 2023, 5, "salah", actor="Rina", role="perencana")

    held = record_as_consolidation_will(wh, record("late5", month=5, value=999))
    assert held == {("perumahan", 2023, 5)}
    assert current(wh, 5) == [("q5", 15.0)]  # the approved figure stays
    late = [s for s in wh.submission_logs(OPD, 2023) if s.sha256 == "late5"]
    assert [(s.status, s.is_current, s.revision) for s in late] == [("valid", False, 2)]  # recorded, as read
    view = sakip.states(OPD, 2023)[("perumahan", 5)]
    assert (view.state, view.locked) == ("diverifikasi", True)
    # a month of an open quarter is not held
    assert record_as_consolidation_will(wh, record("jul", month=7)) == set()
    assert current(wh, 7) == [("jul", 1.0)]

    with pytest.raises(TransitionRefused, match="alasan wajib diisi"):
        sakip.unlock(OPD, 2023, 2, "  ", actor="Kadis", role="kepala")
    with pytest.raises(TransitionRefused, match="peran bidang tidak dapat membuka kunci"):
        sakip.unlock(OPD, 2023, 2, "koreksi", actor="Budi", role="bidang")
    assert sakip.is_locked(OPD, 2023, 5)
    changed = sakip.unlock(OPD, 2023, 2, "Koreksi realisasi Mei", actor="Kadis", role="kepala")
    assert changed == [("perumahan", 2023, 5)]
    assert current(wh, 5) == [("late5", 999.0)]  # what arrived meanwhile is now current
    assert current(wh, 4) == [("q4", 14.0)]
    quarter = sakip.quarter(OPD, 2023, 2)
    assert (quarter.state, quarter.locked, quarter.approval.unlock_reason) == (
        None,
        False,
        "Koreksi realisasi Mei",
    )
    states = sakip.states(OPD, 2023)
    assert states[("perumahan", 5)].state == "diterima" and states[("perumahan", 4)].state == "diverifikasi"
    with pytest.raises(TransitionRefused, match="tidak sedang dikunci"):
        sakip.unlock(OPD, 2023, 2, "lagi", actor="Kadis", role="kepala")
    assert [(e.action, e.target, e.note) for e in sakip.audit(OPD)][-2:] == [
        ("approve", "2023-Q2", None),
        ("unlock", "2023-Q2", "Koreksi realisasi Mei"),
    ]
    assert {e.action for e in sakip.audit(OPD)} == {"verify", "approve", "unlock"} <= set(AUDIT_ACTION_LABELS)
    # approved again once the new month is verified
    sakip.verify(OPD, "perumahan", 2023, 5, actor="Rina", role="perencana")
    assert sakip.approve(OPD, 2023, 2, ["perumahan"], actor="Kadis", role="kepala").state == "disetujui"


def test_recording_a_batch_holds_the_files_of_a_locked_quarter_and_names_the_approval(wh):
    sakip = Sakip(wh)
    _verified_quarter(wh, sakip)
    approval = sakip.approve(OPD, 2023, 2, ["perumahan"], actor="Kadis", role="kepala").approval
    batch = [
        record("late5a", month=5, value=998),
        record("jul", month=7),
        record("late5b", month=5, value=999),
    ]
    wh.record_many(OPD, batch)
    assert current(wh, 5) == [("q5", 15.0)] and current(wh, 7) == [("jul", 1.0)]
    held = {r.sha256: r.held for r in batch}
    assert held["jul"] is None
    assert held["late5a"] == held["late5b"] == Held(2023, 2, "Kadis", approval.approved_at)
    # the outbox of the locked_submission alert: each held file once, until alerted
    outbox = wh.unalerted_held(OPD, datetime(2023, 1, 1, tzinfo=UTC))
    assert [(r.sha256, r.file_name, r.held) for r in outbox] == [
        ("late5a", "late5a.xlsx", held["late5a"]),
        ("late5b", "late5b.xlsx", held["late5b"]),
    ]
    wh.add_alert(
        OPD,
        cause_key="locked:late5a",
        channel="webhook",
        kind="locked_submission",
        recipient="x",
        subject="s",
        payload={},
    )
    assert [r.sha256 for r in wh.unalerted_held(OPD, datetime(2023, 1, 1, tzinfo=UTC))] == ["late5b"]
    sakip.unlock(OPD, 2023, 2, "koreksi", actor="Kadis", role="kepala")
    assert current(wh, 5) == [("late5b", 999.0)]  # the usual revision rule: the latest
    assert wh.unalerted_held(OPD, datetime(2023, 1, 1, tzinfo=UTC)) == []  # no longer held


def test_a_quarter_closes_by_itself_after_lock_after_days(wh):
    sakip = Sakip(wh, lock_after_days=15)
    wh.record(OPD, record("early", month=5, value=5))
    # recorded in time: before 15 July 2023 (the quarter's end plus 15 days)
    with wh.engine.begin() as conn:
        conn.execute(update(submission).values(processed_at=datetime(2023, 6, 10, tzinfo=UTC)))
    lock = dict(lock_after_days=15, tz="Asia/Jakarta")
    assert record_as_consolidation_will(wh, record("late", month=5, value=50), **lock) == {
        ("perumahan", 2023, 5)
    }
    assert current(wh, 5) == [("early", 5.0)]
    assert sakip.is_locked(OPD, 2023, 5)
    assert not sakip.is_locked(OPD, 2023, 5, now=datetime(2023, 7, 10, tzinfo=UTC))
    assert sakip.quarter(OPD, 2023, 2).state is None  # closed, not approved
    # closed months are still verified and the quarter approved (approval after the close)
    for month in (4, 6):
        wh.record(OPD, record(f"m{month}", month=month))
    with wh.engine.begin() as conn:
        conn.execute(update(submission).values(processed_at=datetime(2023, 6, 10, tzinfo=UTC)))
    for month in (4, 5, 6):
        sakip.verify(OPD, "perumahan", 2023, month, actor="Rina", role="perencana")
    assert sakip.approve(OPD, 2023, 2, ["perumahan"], actor="Kadis", role="kepala").state == "disetujui"
    assert sakip.unlock(OPD, 2023, 2, "Data terlambat diterima", actor="Kadis", role="kepala") == [
        ("perumahan", 2023, 5)
    ]
    assert current(wh, 5) == [("late", 50.0)]
    assert not sakip.is_locked(OPD, 2023, 5)
    assert record_as_consolidation_will(wh, record("later", month=5, value=51), **lock) == set()


def test_the_audit_log_refuses_update_and_delete(wh):
    sakip = Sakip(wh)
    wh.record(OPD, record("c1"))
    sakip.verify(OPD, "perumahan", 2023, 4, actor="Rina", role="perencana")
    for statement in (
        update(audit_log).values(actor="orang lain"),
        audit_log.delete(),
    ):
        with pytest.raises(DatabaseError, match="log audit tidak dapat"), wh.engine.begin() as conn:
            conn.execute(statement)
    if not wh.is_sqlite:
        with pytest.raises(DatabaseError, match="log audit tidak dapat"), wh.engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_log"))
    assert [(e.actor, e.action) for e in sakip.audit(OPD)] == [("Rina", "verify")]


def test_tables_made_by_create_all_have_the_guards_too(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            audit_log.insert().values(
                opd_code=OPD,
                recorded_at=datetime.now(UTC),
                actor="a",
                role="operator",
                action="verify",
                target="t",
            )
        )
        triggers = set(conn.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    assert triggers == {"audit_log_no_update", "audit_log_no_delete"}
    assert len(AUDIT_LOG_GUARDS["sqlite"]) == 2
    with pytest.raises(DatabaseError, match="log audit tidak dapat dihapus"), engine.begin() as conn:
        conn.execute(audit_log.delete())
    metadata.drop_all(engine)


def test_create_all_guards_on_postgresql(pg_url):
    engine = create_engine(pg_url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            audit_log.insert().values(
                opd_code=OPD,
                recorded_at=datetime.now(UTC),
                actor="a",
                role="operator",
                action="verify",
                target="t",
            )
        )
    with pytest.raises(DatabaseError, match="log audit tidak dapat"), engine.begin() as conn:
        conn.execute(update(audit_log).values(note="x"))
    metadata.drop_all(engine)
    engine.dispose()


def test_the_submission_keeps_its_plausibility_warnings(wh):
    sub_id = wh.record(OPD, record("w1", value=1500))
    warning = {"indicator": "IKU-02", "rule": "history", "message": "perlu dicek: IKU-02 bernilai 1.500"}
    with wh.engine.begin() as conn:
        conn.execute(update(submission).where(submission.c.id == sub_id).values(warnings=[warning]))
        assert conn.scalar(select(submission.c.warnings).where(submission.c.id == sub_id)) == [warning]
    assert Sakip(wh).follow_up(OPD, 2023) == [
        {"bidang": "perumahan", "month": 4, "file_name": "w1.xlsx", **warning}
    ]
    wh.record(OPD, record("w2", value=15))  # the corrected file has no warning: off the list
    assert Sakip(wh).follow_up(OPD, 2023) == []


# -- evidence ------------------------------------------------------------------
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _xlsx() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "Daftar penerima"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _docx_like() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<document/>")
    return out.getvalue()


def test_file_types_are_told_by_their_bytes():
    assert sniff(PDF) == "application/pdf"
    assert sniff(b"\xff\xd8\xff\xe0" + b"\x00" * 16) == "image/jpeg"
    assert sniff(PNG) == "image/png"
    assert sniff(_xlsx()) == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert sniff(_docx_like()) is None
    assert sniff(b"PK\x03\x04 not a zip") is None
    assert sniff(b"<html>%PDF-</html>") is None


def test_evidence_is_archived_under_its_hash_once_per_indicator_month(wh, tmp_path):
    sakip = Sakip(wh)
    root = tmp_path / "arsip"
    kwargs = dict(archive_root=root, actor="Budi", role="bidang", actor_bidang="perumahan")
    first = sakip.record_evidence(
        OPD, "perumahan", "IKU-02", 2023, 4, "C:\\Bukti\\berita acara.pdf", PDF, **kwargs
    )
    digest = hashlib.sha256(PDF).hexdigest()
    assert (first.sha256, first.file_name, first.content_type, first.size_bytes) == (
        digest,
        "berita acara.pdf",
        "application/pdf",
        len(PDF),
    )
    assert (root / digest[:2] / f"{digest}.pdf").read_bytes() == PDF
    assert first.archive_path == str(root / digest[:2] / f"{digest}.pdf")
    again = sakip.record_evidence(OPD, "perumahan", "IKU-02", 2023, 4, "lagi.pdf", PDF, **kwargs)
    assert again == first  # the same bytes for the same month: one row
    sakip.record_evidence(OPD, "perumahan", "IKU-02", 2023, 5, "foto.png", PNG, **kwargs)
    sakip.record_evidence(OPD, "perumahan", "IKU-01", 2023, 4, "daftar.xlsx", _xlsx(), **kwargs)
    assert [e.file_name for e in sakip.evidence(OPD, 2023, month=4)] == ["berita acara.pdf", "daftar.xlsx"]
    assert [e.month for e in sakip.evidence(OPD, 2023, indicator="IKU-02")] == [4, 5]
    assert sakip.evidence("opd-lain", 2023) == []
    assert sakip.months_missing_evidence(OPD, 2023, ["IKU-02", "IKU-03"], [4, 5, 6]) == {
        ("IKU-02", 6),
        ("IKU-03", 4),
        ("IKU-03", 5),
        ("IKU-03", 6),
    }
    assert [e.action for e in sakip.audit(OPD)] == ["evidence"] * 3
    assert AUDIT_ACTION_LABELS["evidence"] == "unggah bukti dukung"


def test_evidence_refusals(wh, tmp_path):
    sakip = Sakip(wh)
    kwargs = dict(archive_root=tmp_path / "arsip", actor="Budi", role="bidang", actor_bidang="perumahan")
    with pytest.raises(
        EvidenceRefused, match="jenis berkas tidak diterima; bukti dukung berupa PDF, JPG, PNG atau XLSX"
    ):
        sakip.record_evidence(
            OPD, "perumahan", "IKU-02", 2023, 4, "surat.pdf", b"MZ\x90\x00 not a pdf", **kwargs
        )
    with pytest.raises(EvidenceRefused, match="jenis berkas tidak diterima"):
        sakip.record_evidence(OPD, "perumahan", "IKU-02", 2023, 4, "surat.docx", _docx_like(), **kwargs)
    with pytest.raises(EvidenceRefused, match=r"100\.001 bita melebihi batas 100\.000 bita"):
        big = PDF + b"0" * (100_001 - len(PDF))
        sakip.record_evidence(
            OPD, "perumahan", "IKU-02", 2023, 4, "besar.pdf", big, max_bytes=100_000, **kwargs
        )
    with pytest.raises(EvidenceRefused, match="berkas kosong"):
        sakip.record_evidence(OPD, "perumahan", "IKU-02", 2023, 4, "kosong.pdf", b"", **kwargs)
    with pytest.raises(TransitionRefused, match="tidak dapat mengunggah bukti dukung bidang perkim"):
        sakip.record_evidence(OPD, "perkim", "IKU-04", 2023, 4, "x.pdf", PDF, **kwargs)
    with pytest.raises(TransitionRefused, match="peran kabupaten tidak dapat mengunggah"):
        sakip.record_evidence(
            OPD,
            "perumahan",
            "IKU-02",
            2023,
            4,
            "x.pdf",
            PDF,
            archive_root=tmp_path,
            actor="B",
            role="kabupaten",
        )
    assert sakip.evidence(OPD, 2023) == [] and not (tmp_path / "arsip").exists()


def test_states_of_a_year_for_the_matrix(wh):
    sakip = Sakip(wh)
    wh.record(OPD, record("m4", month=4))
    wh.record(OPD, record("p4", month=4, bidang="perkim"))
    # a time given in WIB is the same moment when read back (SQLite keeps no offset)
    wib = datetime(2023, 5, 12, 7, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    sakip.verify(OPD, "perkim", 2023, 4, actor="Rina", role="perencana", now=wib)
    states = sakip.states(OPD, 2023)
    assert {k: v.state for k, v in states.items()} == {
        ("perkim", 4): "diverifikasi",
        ("perumahan", 4): "diterima",
    }
    assert states[("perkim", 4)].as_dict() == {
        "verification": "diverifikasi",
        "locked": False,
        "verification_note": None,
        "verification_by": "Rina",
        "verification_at": "2023-05-12T00:00:00+00:00",
    }
    assert sakip.states("opd-lain", 2023) == {}
    matrix = sakip.states(OPD, 2023, bidang=["perumahan", "perkim"])
    assert len(matrix) == 24 and matrix[("perkim", 4)] == states[("perkim", 4)]
    assert (matrix[("perkim", 5)].state, matrix[("perkim", 5)].locked) == (None, False)
    assert sakip.states(OPD, 2024) == {}


def test_the_migration_goes_down_and_up_again(wh):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect

    from iku.warehouse.store import MIGRATIONS

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    sakip_tables = {"verification", "quarter_approval", "audit_log", "evidence"}
    with wh.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0005_reports")
    inspector = inspect(wh.engine)
    assert not sakip_tables & set(inspector.get_table_names())
    assert "warnings" not in {c["name"] for c in inspector.get_columns("submission")}
    with wh.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    assert sakip_tables <= set(inspect(wh.engine).get_table_names())
    wh.record(OPD, record("d1"))
    Sakip(wh).verify(OPD, "perumahan", 2023, 4, actor="Rina", role="perencana")
    with pytest.raises(DatabaseError, match="log audit tidak dapat"), wh.engine.begin() as conn:
        conn.execute(audit_log.delete())
