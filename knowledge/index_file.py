"""The saved index file: written whole beside the library and renamed into place, read back
only when every part of it checks out.

Layout: ``MAGIC``, the header's length (8 bytes), the header (JSON: parameters, meta, the
vocabulary, and each array's dtype, shape, offset and CRC-32s), padding to 64 bytes, the arrays
(each aligned), then a trailer: the header's CRC-32 and ``TRAILER``. A file whose sizes do not
fit its length, or whose header or arrays do not match their checksums, is refused
(``IndexFileError``) and the caller rebuilds it from the database: damage is never served.

The arrays are memory-mapped (opening costs no copy, and processes share the pages). A mapped
file made shorter under a reader would kill it (SIGBUS) when it touched the pages gone: writers
never change a file in place (a new file is renamed over the old one, whose readers keep it),
and ``MappedFile.intact`` tells a reader whether someone else cut it short.
"""

from __future__ import annotations

import json
import mmap
import os
import tempfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

FORMAT_VERSION = 3
"""3: checksums (2 had none: such a file is rebuilt once)."""
MAGIC = b"ARTICLEBOT-BM25\n"
TRAILER = b"BM25END\n"
_ALIGN = 64
_DTYPES = frozenset({"<i4", "<i8", "<u2", "<f8"})
"""The array types an index holds: anything else in a header is damage."""
_CRC_CHUNK = 1 << 24
"""Bytes under one CRC-32 (16 MB: a 1 GB index has 64 of them in its header)."""


class IndexFileError(Exception):
    """The saved index is missing, stale or damaged, and must be rebuilt."""


@dataclass(frozen=True)
class MappedFile:
    """The map the arrays of a loaded index live in, and the length the file must keep."""

    data: mmap.mmap
    length: int

    def intact(self) -> bool:
        """Whether the file still has all its bytes (``mmap.size`` asks the file itself). A
        reader must stop reading a map whose file was cut short: touching a page beyond the
        file's new end kills the process (SIGBUS)."""
        try:
            return self.data.size() >= self.length
        except (OSError, ValueError):  # (a closed map)
            return False


def write(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write an index of ``arrays`` and ``header`` to ``path`` atomically: to a new file, then
    renamed over the old one (whose readers keep reading the old file, whole)."""
    layout, offset = {}, 0
    for name, values in arrays.items():
        layout[name] = {
            "dtype": values.dtype.str,
            "shape": list(values.shape),
            "offset": offset,
            "crc32": checksums(np.ascontiguousarray(values).data.cast("B")),
        }
        offset = aligned(offset + values.nbytes)
    head = json.dumps({**header, "arrays": layout, "data_bytes": offset}, ensure_ascii=False)
    head_bytes = head.encode()
    prefix = MAGIC + len(head_bytes).to_bytes(8, "little") + head_bytes
    data_start = aligned(len(prefix))
    trailer = zlib.crc32(head_bytes).to_bytes(4, "little") + TRAILER
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(prefix.ljust(data_start, b"\0"))
            for name, values in arrays.items():
                out.seek(data_start + layout[name]["offset"])
                out.write(np.ascontiguousarray(values).data)  # no copy
            out.truncate(data_start + offset)
            out.seek(data_start + offset)
            out.write(trailer)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read(path: str | Path) -> tuple[dict, dict[str, np.ndarray], MappedFile]:
    """The header and the arrays (over a read-only map) of the index file at ``path``, checked
    whole. Raises ``FileNotFoundError``, or ``IndexFileError`` for any damage."""
    try:
        f = open(path, "rb")  # noqa: SIM115 (one open file: what is checked is what is mapped)
    except FileNotFoundError:
        raise
    except OSError as error:  # (e.g. made by another user, for that user alone)
        raise IndexFileError(f"cannot read the index file: {error}") from error
    with f:
        length = os.fstat(f.fileno()).st_size
        header, data_start = _header(f, length)
        if length != data_start + header["data_bytes"] + 4 + len(TRAILER):
            raise IndexFileError("index file is truncated or too long")
        # Plain arrays over a read-only map (np.memmap's subclass adds Python work to every
        # slice); the map lives as long as the arrays do.
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    view = memoryview(data)
    parts, wanted = {}, []
    for name, spec in header["arrays"].items():
        start, nbytes = _extent(spec, header["data_bytes"])
        parts[name] = part = view[data_start + start : data_start + start + nbytes]
        chunks, crcs = _chunks(part), spec.get("crc32")
        if not isinstance(crcs, list) or len(crcs) != len(chunks):
            raise IndexFileError(f"index file is inconsistent: its {name} lack their checksums")
        wanted += [(name, chunk, crc) for chunk, crc in zip(chunks, crcs, strict=True)]
    found = _crc32s([chunk for _, chunk, _ in wanted])
    for (name, _, crc), got in zip(wanted, found, strict=True):
        if got != crc:
            raise IndexFileError(f"index file is inconsistent: its {name} fail their checksum")
    arrays = {
        name: np.frombuffer(part, dtype=header["arrays"][name]["dtype"]).reshape(
            header["arrays"][name]["shape"]
        )
        for name, part in parts.items()
    }
    return header, arrays, MappedFile(data, length)


def _header(f: BinaryIO, length: int) -> tuple[dict, int]:
    """The checked header of the open index file ``f`` of ``length`` bytes, and where its
    arrays start."""
    if f.read(len(MAGIC)) != MAGIC:
        raise IndexFileError("not an articlebot index file")
    size = int.from_bytes(f.read(8), "little")
    if size > length - len(MAGIC) - 8 - 4 - len(TRAILER):  # (a garbled size: never allocated)
        raise IndexFileError("index file is truncated, or its header size is damaged")
    head = f.read(size)
    try:
        header = json.loads(head)
    except ValueError:
        header = None
    if isinstance(header, dict) and header.get("format") != FORMAT_VERSION:
        # (before the checksum: an older articlebot's file has none, and is not damaged)
        raise IndexFileError(f"index format {header.get('format')} is another articlebot's")
    f.seek(length - 4 - len(TRAILER))
    trailer = f.read()
    if trailer[4:] != TRAILER or int.from_bytes(trailer[:4], "little") != zlib.crc32(head):
        raise IndexFileError("index file is truncated, or its header is damaged")
    if not isinstance(header, dict):
        raise IndexFileError("unreadable index header")
    if not isinstance(header.get("data_bytes"), int) or not isinstance(header.get("arrays"), dict):
        raise IndexFileError("index header is incomplete")
    return header, aligned(len(MAGIC) + 8 + size)


def _extent(spec: object, data_bytes: int) -> tuple[int, int]:
    """(offset, size in bytes) of an array the header describes, if it lies within the data."""
    try:
        assert isinstance(spec, dict) and spec["dtype"] in _DTYPES
        shape, offset = spec["shape"], spec["offset"]
        assert isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)
        assert isinstance(offset, int) and offset >= 0
    except (AssertionError, KeyError, TypeError):
        raise IndexFileError(f"index header is damaged: {spec!r:.200}") from None
    nbytes = np.dtype(spec["dtype"]).itemsize
    for n in shape:  # Python integers: a garbled size cannot overflow, only be too big
        nbytes *= n
    if offset + nbytes > data_bytes:
        raise IndexFileError("index header is damaged: an array lies beyond the data")
    return offset, nbytes


def checksums(data: memoryview) -> list[int]:
    """The CRC-32 of each ``_CRC_CHUNK`` bytes of ``data``."""
    return _crc32s(_chunks(data))


def _chunks(data: memoryview) -> list[memoryview]:
    return [data[start : start + _CRC_CHUNK] for start in range(0, len(data), _CRC_CHUNK)]


def _crc32s(chunks: list[memoryview]) -> list[int]:
    """The CRC-32 of each chunk, on all cores at once (zlib lets go of the GIL): the reason
    for checksums by chunk rather than one of the whole array."""
    if len(chunks) <= 1:
        return [zlib.crc32(chunk) for chunk in chunks]
    with ThreadPoolExecutor(min(len(chunks), _cores())) as pool:
        return list(pool.map(zlib.crc32, chunks))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # (not on every OS)
        return os.cpu_count() or 1


def aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN
