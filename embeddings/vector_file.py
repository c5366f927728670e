"""The vector file: a magic line, a JSON header, then FAISS's own serialisation (no pickle).

Owns writing a file atomically and reading it back verified. The header names the format
version, and the reader refuses what it cannot vouch for with a `VectorIndexError` that
says why: not a vector file, another version, another dimension, truncated, damaged.

- Version 1 (flat files) and 2 (older IVF files): one FAISS index, checked by sha256.
  Flat files are still written as version 1, so older programs keep reading small libraries.
- Version 3 (what the approximate layouts write): the payload's size and CRC-32 in the
  header. A truncated file is refused from its size alone; the CRC then runs at ~6 GB/s
  here, where sha256 ran at ~1.9 (half of a 1M-vector load). The index is then mapped from
  the file rather than copied into memory, so a load costs no copy and read-only replicas
  share one copy in the page cache. A mapped index is read-only: `writable` copies it
  before anything adds or removes.

Writes stream FAISS's serialisation into the file, so saving never holds a second copy of
the index in memory. Knows nothing of layouts or search.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
import weakref
import zlib
from pathlib import Path

import faiss
import numpy as np

MAGIC = b"RAGVEC\n"
SHA256_VERSIONS = (1, 2)  # what every program before version 3 reads
CRC_VERSION = 3
READABLE = (*SHA256_VERSIONS, CRC_VERSION)
# The header is written into a fixed, space-padded room so its checksum can be filled in
# after the payload has streamed past; JSON ignores the trailing spaces.
HEADER_ROOM = 2048
BLOCK = 1 << 22  # bytes read per checksum step


class VectorIndexError(ValueError):
    """A vector file that cannot be used; the message says why."""


def write(path: Path | str, header: dict, index) -> None:
    """Write `header` and the FAISS `index` to a temporary file beside `path`, flush it to
    disk, then rename it over `path`, so readers see the old file or the new one, never half."""
    path = Path(path)
    version = header["version"]
    if version not in READABLE:
        raise ValueError(f"cannot write version {version}")
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + struct.pack("<I", HEADER_ROOM) + b" " * HEADER_ROOM)
            sink = _ChecksummedSink(out, hashlib.sha256() if version in SHA256_VERSIONS else None)
            faiss.write_index(index, faiss.PyCallbackIOWriter(sink.write))
            if version in SHA256_VERSIONS:
                header = {**header, "sha256": sink.sha256.hexdigest()}
            else:
                header = {**header, "payload_bytes": sink.written, "crc32": sink.crc}
            encoded = json.dumps(header).encode()
            if len(encoded) > HEADER_ROOM:
                raise ValueError("vector file header too long")
            out.seek(len(MAGIC) + 4)
            out.write(encoded.ljust(HEADER_ROOM))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def read(path: Path | str, *, dimension: int | None = None) -> tuple[dict, object]:
    """(header, FAISS index) of a verified file; `dimension`, if given, must match."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            header = _read_header(path, handle)
            if dimension is not None and header.get("dimension") != dimension:
                raise VectorIndexError(
                    f"{path} holds {header.get('dimension')}-dimensional vectors, expected {dimension}"
                )
            if header["version"] in SHA256_VERSIONS:
                return header, _read_sha256_payload(path, handle, header)
            return header, _map_crc_payload(path, handle, header)
    except OSError as error:
        raise VectorIndexError(f"cannot read vector file {path}: {error.strerror}") from error


def writable(index):
    """`index` itself, or an in-memory copy if it is mapped from a file: FAISS aborts the
    whole process (not an exception) when something grows or shrinks a mapped index."""
    payload = _mapped_payload_of(index)
    if payload is None:
        return index
    return _parse_stream("the mapped vector file", payload.reader())


class _MappedPayload:
    """The mapping an index is read from, and the open file beneath it. A writable copy is
    parsed from the file through the page cache, not through the mapping: every mapped page
    it touched would count in this process's memory until the mapping is released, so the
    copy would briefly cost twice the index (measured at 450k vectors: a 742 MB peak for a
    351 MB index)."""

    def __init__(self, mapping: np.memmap, handle, start: int, size: int):
        self.mapping = mapping
        self.fd = os.dup(handle.fileno())  # the same file, whatever was renamed over its path since
        weakref.finalize(self, os.close, self.fd)
        self.start, self.size = start, size

    def reader(self):
        position = 0

        def read(size: int) -> bytes:
            nonlocal position
            chunk = os.pread(self.fd, min(size, self.size - position), self.start + position)
            position += len(chunk)
            return chunk

        return read


def _mapped_payload_of(index) -> _MappedPayload | None:
    return next((o for o in getattr(index, "referenced_objects", ()) if isinstance(o, _MappedPayload)), None)


def _read_header(path: Path, handle) -> dict:
    start = handle.read(len(MAGIC) + 4)
    if not start.startswith(MAGIC) or len(start) < len(MAGIC) + 4:
        raise VectorIndexError(f"{path} is not a vector index file")
    (header_len,) = struct.unpack_from("<I", start, len(MAGIC))
    try:
        header = json.loads(handle.read(header_len))
    except ValueError as error:
        raise VectorIndexError(f"{path} has a damaged header") from error
    version = header.get("version") if isinstance(header, dict) else None
    if version not in READABLE:
        raise VectorIndexError(
            f"{path} is format version {version}, this program reads versions "
            f"{', '.join(map(str, READABLE))}"
        )
    return header


def _read_sha256_payload(path: Path, handle, header: dict):
    """Checksum as a stream, then parse as a stream: holding the file's bytes beside the
    index would double the peak memory."""
    payload_start = handle.tell()
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(BLOCK), b""):
        digest.update(block)
    if digest.hexdigest() != header.get("sha256"):
        raise VectorIndexError(f"{path} is truncated or damaged (checksum mismatch)")
    handle.seek(payload_start)
    return _parse_stream(path, handle.read)


def _map_crc_payload(path: Path, handle, header: dict):
    payload_start = handle.tell()
    expected = header.get("payload_bytes")
    if isinstance(header.get("parts"), list) and len(header["parts"]) == 1:
        expected = header["parts"][0]  # how commit 18fbcef wrote it (libraries may hold such files)
    if not isinstance(expected, int) or expected <= 0:
        raise VectorIndexError(f"{path} has a damaged header (no payload size)")
    found = os.fstat(handle.fileno()).st_size - payload_start
    if found != expected:
        raise VectorIndexError(
            f"{path} is truncated or damaged: its payload is {found:,} bytes, the header says {expected:,}"
        )
    crc, buffer = 0, bytearray(BLOCK)
    view = memoryview(buffer)
    while count := handle.readinto(buffer):
        crc = zlib.crc32(view[:count], crc)
    if crc != header.get("crc32"):
        raise VectorIndexError(f"{path} is truncated or damaged (checksum mismatch)")
    # Map the open file, not the path: a writer may have renamed a new file over it since.
    mapping = np.memmap(handle, dtype=np.uint8, mode="r", offset=payload_start, shape=(expected,))
    try:
        reader = faiss.ZeroCopyIOReader(faiss.swig_ptr(mapping), expected)
        index = faiss.read_index(reader, faiss.IO_FLAG_MMAP_IFC)
    except RuntimeError as error:
        raise VectorIndexError(f"{path} is damaged: FAISS cannot parse it ({error})") from error
    # FAISS's own keep-alive list: the mapping lives exactly as long as the index using it,
    # even in a thread still searching an index that `writable` has since replaced.
    index.referenced_objects = [_MappedPayload(mapping, handle, payload_start, expected)]
    return index


def _parse_stream(path, read):
    try:
        return faiss.read_index(faiss.PyCallbackIOReader(read))
    except RuntimeError as error:
        raise VectorIndexError(f"{path} is damaged: FAISS cannot parse it ({error})") from error


class _ChecksummedSink:
    """A write callback for FAISS that also counts and checksums what passes through."""

    def __init__(self, out, sha256=None):
        self.out, self.sha256, self.crc, self.written = out, sha256, 0, 0

    def write(self, chunk: bytes) -> int:
        self.out.write(chunk)
        if self.sha256 is not None:
            self.sha256.update(chunk)
        else:
            self.crc = zlib.crc32(chunk, self.crc)
        self.written += len(chunk)
        return len(chunk)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
