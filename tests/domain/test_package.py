"""The zip package reader of the zip-bomb and formula checks (iku.domain.package):
on every package it reads itself it must see what zipfile sees, and whatever it
does not read as plain it leaves to zipfile, so a file is refused exactly when
zipfile refuses it."""

from __future__ import annotations

import io
import random
import struct
import zipfile

import pytest
import xlsxwriter

from iku.domain import package as package_mod
from iku.domain.package import Package


def _xlsx() -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("Realisasi")
    ws.write_row(0, 0, ["bidang", "tahun", "bulan", "kode_indikator", "realisasi"])
    ws.write_row(1, 0, ["perkim", 2023, 4, "IKU-01", 12])
    ws.write_formula(2, 4, "=2+3")
    wb.close()
    return buf.getvalue()


def _zip(members: dict[str, bytes], comment: bytes = b"", **kwargs) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", **kwargs) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        zf.comment = comment
    return buf.getvalue()


def _as_zipfile_sees(data: bytes) -> tuple[list[tuple], int]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        return (
            [
                (i.filename, i.compress_type, i.flag_bits, i.compress_size, i.file_size, i.header_offset)
                for i in infos
            ],
            sum(i.file_size for i in infos),
        )


def _as_package_sees(package: Package) -> tuple[list[tuple], int]:
    return (
        [
            (p.name, p.compress_type, p.flag_bits, p.compress_size, p.file_size, p.header_offset)
            for p in package.parts.values()
        ],
        package.total_size,
    )


def test_a_sheet_is_read_without_zipfile_and_as_zipfile_reads_it():
    data = _xlsx()
    assert package_mod._plain_directory(data) is not None  # the plain case: no zipfile
    package = Package.of(data)
    assert _as_package_sees(package) == _as_zipfile_sees(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            assert package.read(name) == zf.read(name)


@pytest.mark.parametrize(
    "data",
    [
        _zip({"a.xml": b"x" * 100}, comment=b"a comment"),  # a comment after the directory
        b"some bytes before " + _zip({"a.xml": b"x" * 100}),  # data before the archive
        _zip({"a.xml": b"x" * 100, "b.xml": b"y"}, compression=zipfile.ZIP_STORED),
        _zip({"é/ünïcode.xml": b"z" * 10}, compression=zipfile.ZIP_DEFLATED),
    ],
    ids=["comment", "prefix", "stored", "utf8-name"],
)
def test_unusual_packages_read_as_zipfile_reads_them(data):
    package = Package.of(data)
    seen, total = _as_zipfile_sees(data)
    assert sorted(_as_package_sees(package)[0]) == sorted(seen)
    assert package.total_size == total
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for name in zf.namelist():
            assert package.read(name) == zf.read(name)


def test_duplicate_names_count_every_entry_in_the_declared_size():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.xml", b"1" * 1000)
        with pytest.warns(UserWarning):
            zf.writestr("a.xml", b"2" * 3000)
    data = buf.getvalue()
    package = Package.of(data)
    assert package.total_size == 4000 == _as_zipfile_sees(data)[1]
    assert package.read("a.xml") == b"2" * 3000  # the last entry of a name, as zipfile


def test_every_damaged_byte_is_refused_exactly_when_zipfile_refuses_it():
    # one byte changed at a time in the central directory and the end record: where
    # zipfile raises, Package.of raises the same error type; where it reads, the same entries
    data = _xlsx()
    start = data.index(b"PK\x01\x02")
    rng = random.Random(7)
    positions = list(range(start, len(data)))
    for at in rng.sample(positions, 400) + list(range(len(data) - 22, len(data))):
        damaged = bytearray(data)
        damaged[at] = (damaged[at] + rng.randint(1, 255)) % 256
        damaged = bytes(damaged)
        try:
            expected = _as_zipfile_sees(damaged)
        except Exception as exc:  # whatever zipfile raises, Package.of must raise too
            with pytest.raises(type(exc)):
                Package.of(damaged)
            continue
        got = _as_package_sees(Package.of(damaged))
        assert sorted(got[0]) == sorted(expected[0]) and got[1] == expected[1], at


def test_a_zip64_entry_is_left_to_zipfile():
    data = bytearray(_zip({"a.xml": b"x" * 100}))
    entry = data.index(b"PK\x01\x02")
    struct.pack_into("<L", data, entry + 24, 0xFFFFFFFF)  # the size lives in a Zip64 field
    assert package_mod._plain_directory(bytes(data)) is None
