"""Sentence vectors <-> SQLite BLOBs, at a quarter of float32's size.

Each row (a unit vector) is stored as int8 codes scaled by the row's largest magnitude,
with that scale as a float32: 4 + dimension bytes per sentence, ~1.7 KB per passage for
MiniLM. The rounding moves a cosine by at most ~0.002, far below the gaps evidence scoring
decides on. Layout: the row count's scales, then the codes, row after row.
"""

from __future__ import annotations

import numpy as np


def pack(rows: np.ndarray) -> bytes:
    rows = np.asarray(rows, dtype=np.float32)
    scales = np.abs(rows).max(axis=1) / 127.0 if len(rows) else np.zeros(0, dtype=np.float32)
    safe = np.where(scales > 0, scales, 1.0)[:, None]
    codes = np.clip(np.rint(rows / safe), -127, 127).astype(np.int8)
    return scales.astype(np.float32).tobytes() + codes.tobytes()


def _row_count(blob: bytes, dimension: int) -> int:
    count, remainder = divmod(len(blob), 4 + dimension)
    if remainder:
        raise ValueError(f"a sentence-vector blob of {len(blob)} bytes does not hold {dimension}-dimensional rows")
    return count


def unpack(blob: bytes, dimension: int) -> np.ndarray:
    """The rows `pack` stored; a blob of the wrong size for `dimension` is a ValueError."""
    count = _row_count(blob, dimension)
    scales = np.frombuffer(blob, dtype=np.float32, count=count)
    codes = np.frombuffer(blob, dtype=np.int8, offset=4 * count).reshape(count, dimension)
    return codes.astype(np.float32) * scales[:, None]


def dot_many(blobs: list[bytes], dimension: int, vector: np.ndarray) -> list[np.ndarray]:
    """Each blob's rows (`unpack`) times `vector`, in one product for all of them: a search
    scores the sentences of ~200 passages, and one small product per passage costs more in
    call overhead than in arithmetic. A blob of the wrong size is a ValueError, as in `unpack`."""
    counts = [_row_count(blob, dimension) for blob in blobs]
    if not blobs:
        return []
    scales = np.frombuffer(b"".join(blob[: 4 * n] for blob, n in zip(blobs, counts)), dtype=np.float32)
    codes = np.frombuffer(b"".join(blob[4 * n :] for blob, n in zip(blobs, counts)), dtype=np.int8)
    products = (codes.reshape(-1, dimension).astype(np.float32) @ vector) * scales
    ends = np.cumsum(counts).tolist()
    # plain slices: np.split's generic path costs more than the product for ~200 short rows
    return [products[start:end] for start, end in zip([0, *ends], ends)]
