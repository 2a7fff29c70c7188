from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from iku.domain.model import SubmissionLog
from iku.domain.status import month_status

JKT = ZoneInfo("Asia/Jakarta")


def log(status, received, month=4, bidang="perkim"):
    return SubmissionLog(
        id=1,
        sha256="x",
        bidang=bidang,
        year=2023,
        month=month,
        status=status,
        file_name="f.xlsx",
        received_at=received,
        processed_at=received,
        revision=None,
        is_current=False,
        problems=[],
    )


def status(logs, as_of=datetime(2023, 6, 1, tzinfo=JKT)):
    return month_status(logs, "perkim", 2023, 4, as_of, 10, "Asia/Jakarta").status


def test_on_time_at_the_last_second_and_late_one_second_after():
    assert status([log("valid", datetime(2023, 5, 10, 23, 59, 59, tzinfo=JKT))]) == "on_time"
    # 17:00 UTC on the 10th is 00:00 on the 11th in Jakarta
    assert status([log("valid", datetime(2023, 5, 10, 17, 0, 0, tzinfo=UTC))]) == "late"


def test_first_valid_file_decides_even_if_revised_later():
    logs = [log("valid", datetime(2023, 5, 2, tzinfo=JKT)), log("valid", datetime(2023, 7, 2, tzinfo=JKT))]
    assert status(logs) == "on_time"


def test_invalid_only_then_missing_then_pending():
    assert status([log("invalid", datetime(2023, 5, 2, tzinfo=JKT))]) == "invalid"
    assert status([]) == "missing"
    assert status([], as_of=datetime(2023, 5, 10, 12, tzinfo=JKT)) == "pending"
    assert status([log("valid", datetime(2023, 5, 2, tzinfo=JKT), month=5)]) == "missing"
