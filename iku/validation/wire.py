"""What travels between a run and the warm GX worker (iku.validation.warm_worker).

Data only, never pickles: a pickle is code, and whoever can write to the
worker's socket would run it as the pipeline's user. Every message is one
frame, a 4-byte big-endian length and a UTF-8 JSON document, and is checked
against the schema below (pydantic) before anything acts on it; a message
that does not fit is refused as a whole.

A request is one of `hello` (the client's code fingerprint), `validate` (the
groups of a run: each its catalogue, bidang, OPD and sheets' rows) or
`build_docs` (a Data Docs folder), or `stop`. An answer is `ok` with the
problems per file id (validate) or the Data Docs index page (build_docs),
`error` with a message, or `stale` (the worker runs other code).
"""

from __future__ import annotations

import math
import operator
import socket
import struct
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr, TypeAdapter

from iku.config import Catalogue
from iku.domain.formulas import UncachedFormula
from iku.domain.kinds import NUMBER_COLUMNS
from iku.domain.model import Problem
from iku.domain.sheet import Sheet, SheetRow

from .frames import Group

HEADER = struct.Struct("!I")
MAX_FRAME = 256 * 1024 * 1024  # a kabupaten's month is a few MB; more is no run of ours


class ProtocolError(Exception):
    """A frame or message outside the protocol; the connection is closed."""


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tagged(_Data):
    """A cell JSON has no type for, as text: a date typed where a month
    belongs must still read as that date in the bidang's message."""

    t: Literal["date", "datetime", "time", "timedelta", "float", "formula"]
    v: StrictStr


Cell = StrictBool | StrictInt | StrictFloat | StrictStr | Tagged | None


# A sheet row as it travels: compact, for a run sends thousands (JSON objects with
# their keys cost both sides a third more than tuples): the Excel row, bidang,
# tahun, bulan, kode_indikator, the number columns' values and unparsed text
# (in NUMBER_COLUMNS' order), and the cells as typed, in the order of the
# sheet's raw columns.
Numbers = tuple[StrictFloat | None, StrictFloat | None, StrictFloat | None]
Unparsed = tuple[StrictStr | None, StrictStr | None, StrictStr | None]
Row = tuple[
    StrictInt,
    StrictStr | None,
    StrictInt | None,
    StrictInt | None,
    StrictStr | None,
    Numbers,
    Unparsed,
    list[Cell],
]


class WireSheet(_Data):
    file_id: StrictInt
    columns: list[StrictStr]  # the raw columns of its rows
    rows: list[Row]


class WireGroup(_Data):
    catalogue: Catalogue
    bidang: StrictStr
    opd: StrictStr
    sheets: list[WireSheet]


class Hello(_Data):
    call: Literal["hello"]
    fingerprint: StrictStr


class Validate(_Data):
    call: Literal["validate"]
    groups: list[WireGroup]
    docs_dir: StrictStr | None


class BuildDocs(_Data):
    call: Literal["build_docs"]
    docs_dir: StrictStr


class Stop(_Data):
    call: Literal["stop"]


Request = Annotated[Hello | Validate | BuildDocs | Stop, Field(discriminator="call")]


class WireProblem(_Data):
    message: StrictStr
    row: StrictInt | None
    column: StrictStr | None


class Answer(_Data):
    status: Literal["ok", "error", "stale"]
    problems: list[tuple[StrictInt, list[WireProblem]]] | None = None
    index: StrictStr | None = None
    message: StrictStr | None = None


REQUEST = TypeAdapter(Request)


# ---- framing -----------------------------------------------------------------


def send(sock: socket.socket, message: BaseModel) -> None:
    body = message.model_dump_json().encode()
    sock.sendall(HEADER.pack(len(body)) + body)


def send_bytes(sock: socket.socket, body: bytes) -> None:
    sock.sendall(HEADER.pack(len(body)) + body)


def recv_bytes(sock: socket.socket, limit: int = MAX_FRAME) -> bytes:
    """One frame's body; EOFError when the peer closed, ProtocolError when the
    frame is larger than `limit` (never read into memory)."""
    (size,) = HEADER.unpack(_exactly(sock, HEADER.size))
    if size > limit:
        raise ProtocolError(f"frame of {size} bytes over the limit of {limit}")
    return _exactly(sock, size)


def _exactly(sock: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise EOFError("the peer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_request(sock: socket.socket) -> Hello | Validate | BuildDocs | Stop:
    body = recv_bytes(sock)
    try:
        return REQUEST.validate_json(body)
    except ValueError as exc:  # pydantic's ValidationError, invalid JSON or UTF-8 included
        raise ProtocolError(f"not a request of the protocol: {str(exc).splitlines()[0]}") from None


def recv_answer(sock: socket.socket) -> Answer:
    body = recv_bytes(sock)
    try:
        return Answer.model_validate_json(body)
    except ValueError as exc:
        raise ProtocolError(f"not an answer of the protocol: {str(exc).splitlines()[0]}") from None


# ---- the run's objects as data, and back --------------------------------------


_PLAIN = frozenset((str, int, bool, type(None)))


def _cells(values: Iterable[object]) -> list[Cell]:
    """A row's cells: the plain ones, nearly all, as they are (a class test
    each), the rest through _cell."""
    return [
        v if v.__class__ in _PLAIN or (v.__class__ is float and math.isfinite(v)) else _cell(v)  # type: ignore[misc]
        for v in values
    ]


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, (str, float, int)):  # a tuple: faster than a union
        if isinstance(value, float) and not math.isfinite(value):
            return Tagged(t="float", v=repr(value))
        return value  # bool is an int
    if isinstance(value, datetime):  # before date: a datetime is a date too
        return Tagged(t="datetime", v=value.isoformat())
    if isinstance(value, date):
        return Tagged(t="date", v=value.isoformat())
    if isinstance(value, time):
        return Tagged(t="time", v=value.isoformat())
    if isinstance(value, timedelta):
        return Tagged(t="timedelta", v=repr(value.total_seconds()))
    if isinstance(value, UncachedFormula):
        return Tagged(t="formula", v=value.formula)
    raise TypeError(f"a cell of type {type(value).__name__} has no form on the wire")


def _uncell(value: object) -> object:
    if not isinstance(value, Tagged):
        return value
    if value.t == "float":
        return float(value.v)
    if value.t == "datetime":
        return datetime.fromisoformat(value.v)
    if value.t == "date":
        return date.fromisoformat(value.v)
    if value.t == "time":
        return time.fromisoformat(value.v)
    if value.t == "timedelta":
        return timedelta(seconds=float(value.v))
    return UncachedFormula(value.v)


def validate_request(groups: list[Group], docs_dir: Path | None) -> Validate:
    """TypeError when a cell has no form on the wire (the run validates itself)."""
    wire = [
        WireGroup.model_construct(
            # sources are not needed to validate, and a Remote has no JSON form
            catalogue=g.catalogue.model_copy(update={"sources": {}}),
            bidang=g.bidang,
            opd=g.opd,
            # not validated here: the worker validates every request it reads (recv_request)
            sheets=[_wire_sheet(file_id, sheet) for file_id, sheet in g.sheets.items()],
        )
        for g in groups
    ]
    return Validate.model_construct(
        call="validate", groups=wire, docs_dir=None if docs_dir is None else str(docs_dir)
    )


_IN_ORDER = operator.itemgetter(*NUMBER_COLUMNS)  # a row's numbers as the tuple the wire holds


def _wire_sheet(file_id: int, sheet: Sheet) -> WireSheet:
    columns = list(sheet.rows[0].raw) if sheet.rows else []
    rows: list[Row] = []
    for r in sheet.rows:
        if list(r.raw) != columns:  # every row of a parsed sheet has the same columns
            raise TypeError("the rows of a sheet have different columns")
        rows.append(
            (
                r.row,
                r.bidang,
                r.tahun,
                r.bulan,
                r.kode_indikator,
                _IN_ORDER(r.numbers),
                _IN_ORDER(r.unparsed),
                _cells(r.raw.values()),
            )
        )
    return WireSheet.model_construct(file_id=file_id, columns=columns, rows=rows)


def groups_of(request: Validate) -> list[Group]:
    """The worker's side: the run's groups, holding what validation reads."""
    return [
        Group(
            catalogue=g.catalogue,
            bidang=g.bidang,
            opd=g.opd,
            sheets={s.file_id: Sheet(rows=[_sheet_row(s.columns, row) for row in s.rows]) for s in g.sheets},
        )
        for g in request.groups
    ]


def _sheet_row(columns: list[str], row: Row) -> SheetRow:
    number, bidang, tahun, bulan, code, numbers, unparsed, cells = row
    if len(cells) != len(columns):
        raise ProtocolError("a row's cells do not match its sheet's columns")
    return SheetRow(
        row=number,
        raw={k: _uncell(v) for k, v in zip(columns, cells)},
        bidang=bidang,
        tahun=tahun,
        bulan=bulan,
        kode_indikator=code,
        numbers=dict(zip(NUMBER_COLUMNS, numbers)),
        unparsed=dict(zip(NUMBER_COLUMNS, unparsed)),
        keterangan=None,
    )


def problems_answer(found: dict[int, list[Problem]]) -> Answer:
    return Answer(
        status="ok",
        problems=[
            (fid, [WireProblem(message=p.message, row=p.row, column=p.column) for p in ps])
            for fid, ps in found.items()
        ],
    )


def problems_of(answer: Answer) -> dict[int, list[Problem]]:
    return {fid: [Problem(p.message, p.row, p.column) for p in ps] for fid, ps in answer.problems or []}
