"""Portal accounts and API tokens in the warehouse. Only hashes are stored;
hashing itself lives in iku.web.passwords."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .schema import web_account, web_token
from .store import Warehouse

# bidang: submits its own sheets; perencana: the planning team (verifies, returns);
# kepala: the Kepala Dinas (approves and unlocks quarters, reads all of its OPD);
# keuangan: the finance office (uploads its OPD's budget sheets); kabupaten: reads every OPD
ROLES = ("bidang", "perencana", "kepala", "keuangan", "kabupaten")


@dataclass(frozen=True)
class Account:
    id: int
    opd_code: str
    username: str
    role: str  # one of ROLES
    bidang: str | None
    password_hash: str


def _account(row) -> Account:
    return Account(row.id, row.opd_code, row.username, row.role, row.bidang, row.password_hash)


class Accounts:
    def __init__(self, warehouse: Warehouse):
        self.engine = warehouse.engine

    def add(self, *, opd: str, username: str, role: str, bidang: str | None, password_hash: str) -> Account:
        if role not in ROLES:
            raise ValueError(f"peran '{role}' tidak dikenal (pilih salah satu: {', '.join(ROLES)})")
        if (role == "bidang") != (bidang is not None):
            raise ValueError("akun peran bidang wajib memakai --bidang; peran lain tanpa --bidang")
        now = datetime.now(UTC)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(web_account).values(
                        opd_code=opd,
                        username=username,
                        role=role,
                        bidang=bidang,
                        password_hash=password_hash,
                        created_at=now,
                        password_changed_at=now,
                    )
                )
        except IntegrityError:
            raise ValueError(f"pengguna '{username}' sudah ada") from None
        found = self.get(username)
        assert found is not None
        return found

    def get(self, username: str) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(web_account).where(web_account.c.username == username)).first()
        return _account(row) if row else None

    def by_id(self, account_id: int) -> Account | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(web_account).where(web_account.c.id == account_id)).first()
        return _account(row) if row else None

    def all(self) -> list[Account]:
        with self.engine.connect() as conn:
            return [_account(r) for r in conn.execute(select(web_account).order_by(web_account.c.username))]

    def set_password(self, username: str, password_hash: str) -> bool:
        with self.engine.begin() as conn:
            done = conn.execute(
                update(web_account)
                .where(web_account.c.username == username)
                .values(password_hash=password_hash, password_changed_at=datetime.now(UTC))
            )
        return done.rowcount == 1

    def remove(self, username: str) -> bool:
        """Delete an account and its API tokens (its open sessions end with it)."""
        with self.engine.begin() as conn:
            found = conn.execute(select(web_account.c.id).where(web_account.c.username == username)).first()
            if found is None:
                return False
            conn.execute(delete(web_token).where(web_token.c.account_id == found.id))
            conn.execute(delete(web_account).where(web_account.c.id == found.id))
        return True

    def add_token(self, account: Account, key_id: str, secret_hash: str, label: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(web_token).values(
                    account_id=account.id,
                    key_id=key_id,
                    secret_hash=secret_hash,
                    label=label,
                    created_at=datetime.now(UTC),
                )
            )

    def token(self, key_id: str) -> tuple[Account, str] | None:
        """The account a token belongs to, with the stored hash of its secret."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(web_account, web_token.c.secret_hash)
                .join(web_token, web_token.c.account_id == web_account.c.id)
                .where(web_token.c.key_id == key_id)
            ).first()
        return (_account(row), row.secret_hash) if row else None

    def touch_token(self, key_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(web_token).where(web_token.c.key_id == key_id).values(last_used_at=datetime.now(UTC))
            )
