"""A zip-based sheet (.xlsx, .xlsm, .ods) held in memory: its parts' declared
sizes for the zip-bomb check, and the few parts the formula check reads.

zipfile builds a ZipInfo object per member and decodes each one's extra
fields: for a small sheet that cost half of calamine's whole read of it. The
plain case (one disk, no Zip64, no data before the archive, no archive comment)
is read here with struct; anything else, and every inconsistency, is left to
zipfile, which reads what it can and raises BadZipFile (or the error it always
raised) on the rest. So a file is refused exactly when zipfile refuses it.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from typing import NamedTuple

# the end of central directory record: signature, this disk, the directory's disk,
# entries on this disk, entries, directory size, directory offset, comment length
_END = struct.Struct("<4s4H2LH")
# a central directory header: signature, versions made by / needed, flags, method,
# time, date, CRC, compressed size, size, name, extra and comment lengths, disk,
# internal attributes, external attributes, the local header's offset
_ENTRY = struct.Struct("<4s6H3L5H2L")
_LOCAL_HEADER = 30
_MAX_VERSION = 63  # zipfile's MAX_EXTRACT_VERSION: a later one is zipfile's to refuse
_ZIP64 = 0xFFFFFFFF


class Part(NamedTuple):  # a tuple: a frozen dataclass per entry cost a third of the parse
    name: str
    compress_type: int
    flag_bits: int
    compress_size: int
    file_size: int
    header_offset: int


class Package:
    """The parts of a zip held in memory; `total_size`: the sum of every entry's
    declared size (duplicates included), as zipfile's infolist() gives it."""

    def __init__(self, data: bytes, parts: dict[str, Part], total_size: int):
        self.data = data
        self.parts = parts
        self.total_size = total_size
        self._zip: zipfile.ZipFile | None = None

    @classmethod
    def of(cls, data: bytes) -> Package:
        """Raises zipfile.BadZipFile (or what zipfile raises) for what zipfile refuses."""
        plain = _plain_directory(data)
        if plain is not None:
            return cls(data, *plain)
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
        parts = {
            i.filename: Part(
                i.filename, i.compress_type, i.flag_bits, i.compress_size, i.file_size, i.header_offset
            )
            for i in infos
        }
        return cls(data, parts, sum(i.file_size for i in infos))

    def namelist(self) -> list[str]:
        return list(self.parts)

    def read(self, name: str) -> bytes:
        """A part's bytes (KeyError when absent). A deflated part is inflated straight
        from the package's bytes, at most the size its entry declares (which the
        zip-bomb check bounded); any other part, or one that does not match its
        entry, is read by zipfile, which refuses what is wrong with it."""
        part = self.parts[name]
        if part.compress_type != zipfile.ZIP_DEFLATED or part.flag_bits & 1:
            return self._zipfile().read(name)
        start = part.header_offset
        if self.data[start : start + 4] != b"PK\x03\x04" or len(self.data) < start + _LOCAL_HEADER:
            return self._zipfile().read(name)
        name_length, extra_length = struct.unpack_from("<HH", self.data, start + 26)
        begin = start + _LOCAL_HEADER + name_length + extra_length
        inflate = zlib.decompressobj(-15)
        with memoryview(self.data) as view:
            found = inflate.decompress(view[begin : begin + part.compress_size], part.file_size)
        if len(found) != part.file_size or not inflate.eof:
            return self._zipfile().read(name)
        return found

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zip is None:
            self._zip = zipfile.ZipFile(io.BytesIO(self.data))
        return self._zip


def _plain_directory(data: bytes) -> tuple[dict[str, Part], int] | None:
    """The entries of a plain zip, or None: then zipfile decides."""
    end = len(data) - _END.size
    if end < 0 or data[end : end + 4] != b"PK\x05\x06" or data[max(end - 20, 0) : end - 16] == b"PK\x06\x07":
        return None  # an archive comment, a Zip64 locator, or no zip at all
    _, disk, disk_cd, on_disk, count, size, offset, comment = _END.unpack_from(data, end)
    if disk or disk_cd or on_disk != count or comment or offset + size != end or _ZIP64 in (size, offset):
        return None
    parts: dict[str, Part] = {}
    total, at = 0, offset
    for _ in range(count):
        if at + _ENTRY.size > end:
            return None
        (
            sig,
            _made,
            need,
            flags,
            method,
            _t,
            _d,
            _crc,
            csize,
            usize,
            nlen,
            xlen,
            clen,
            first_disk,
            _i,
            _e,
            local,
        ) = _ENTRY.unpack_from(data, at)
        name_at = at + _ENTRY.size
        at = name_at + nlen + xlen + clen
        if (
            sig != b"PK\x01\x02"
            or first_disk
            or need > _MAX_VERSION
            or _ZIP64 in (csize, usize, local)
            or at > end
        ):
            return None
        if xlen and not _plain_extra(data[name_at + nlen : name_at + nlen + xlen]):
            return None
        raw = data[name_at : name_at + nlen]
        try:  # an ASCII name reads the same in both encodings; cp437's codec is a slow one
            name = raw.decode("utf-8" if flags & 0x800 or raw.isascii() else "cp437")
        except UnicodeDecodeError:
            return None
        if "\x00" in name:  # zipfile cuts the name there
            return None
        # _make is tuple.__new__: no call of the named tuple's Python __new__ per entry
        parts[name] = Part._make((name, method, flags, csize, usize, local))
        total += usize
    return (parts, total) if at == end else None


def _plain_extra(extra: bytes) -> bool:
    """Extra fields that zipfile reads as they stand: well formed, no Zip64 field."""
    while len(extra) >= 4:
        kind, length = struct.unpack_from("<HH", extra)
        if kind == 1 or length + 4 > len(extra):
            return False
        extra = extra[length + 4 :]
    return True
