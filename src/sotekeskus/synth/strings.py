"""Fast construction of Arrow string columns from numpy arrays.

Formatting millions of ids with Python f-strings takes seconds; building the bytes of a
fixed-width column with numpy and handing Arrow the buffers takes milliseconds.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

#: Rows per Arrow chunk, so that 32-bit string offsets never overflow.
_CHUNK_ROWS = 20_000_000
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _fixed_width(prefix: bytes, body: np.ndarray) -> pa.Array | pa.ChunkedArray:
    """A string column from ``prefix`` + the rows of ``body`` (uint8 matrix of characters)."""
    n, width = body.shape
    total = len(prefix) + width
    chunks = []
    for lo in range(0, max(n, 1), _CHUNK_ROWS):
        part = body[lo : lo + _CHUNK_ROWS]
        rows = part.shape[0]
        chars = np.empty((rows, total), dtype=np.uint8)
        chars[:, : len(prefix)] = np.frombuffer(prefix, dtype=np.uint8)
        chars[:, len(prefix) :] = part
        offsets = np.arange(0, rows * total + 1, total, dtype=np.int32)
        chunks.append(
            pa.StringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))
        )
    if len(chunks) == 1:
        return chunks[0]
    return pa.chunked_array(chunks, type=pa.string())


#: The four characters of 0000..9999 packed in one uint32 each, for a one-gather lookup.
_FOUR_DIGITS = (
    np.array([list(f"{i:04d}".encode()) for i in range(10_000)], dtype=np.uint8)
    .view(np.uint32)
    .ravel()
)


def decimal_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array | pa.ChunkedArray:
    """``prefix`` followed by ``numbers`` zero-padded to ``width`` digits (E00000001)."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if numbers.size and int(numbers.max()) >= 10**width:
        width = len(str(int(numbers.max())))
    groups = -(-width // 4)
    packed = np.empty((numbers.size, groups), dtype=np.uint32)
    rest = numbers
    for g in range(groups - 1, -1, -1):  # four digits at a time, from the right
        rest, chunk = np.divmod(rest, 10_000)
        packed[:, g] = _FOUR_DIGITS[chunk]
    body = packed.view(np.uint8).reshape(numbers.size, groups * 4)
    return _fixed_width(prefix.encode(), body[:, groups * 4 - width :])


def hex_ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array | pa.ChunkedArray:
    """``prefix`` followed by the low ``4 * width`` bits of ``numbers`` in lower-case hex."""
    numbers = np.asarray(numbers, dtype=np.uint64)
    shifts = np.arange(4 * (width - 1), -1, -4, dtype=np.uint64)
    nibbles = (numbers[:, None] >> shifts[None, :]) & np.uint64(15)
    return _fixed_width(prefix.encode(), _HEX[nibbles.astype(np.intp)])


def scramble(values: np.ndarray, bits: int, key: int) -> np.ndarray:
    """A keyed bijection of ``[0, 2**bits)``: distinct inputs give distinct outputs.

    Used for pseudonymous person ids: they look random, never collide and carry no order.
    """
    mask = np.uint64((1 << bits) - 1)
    half = np.uint64(bits // 2)
    x = (np.asarray(values, dtype=np.uint64) + np.uint64(key)) & mask
    for multiplier in (0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB):
        x = (x * np.uint64(multiplier | 1)) & mask  # odd multiplier: bijective mod 2**bits
        x ^= x >> half  # xor with a right shift: bijective
    return x


def take_codes(
    vocabulary: list[str] | tuple[str, ...], codes: np.ndarray, null: np.ndarray | None = None
) -> pa.Array:
    """Strings ``vocabulary[codes]``; rows where ``null`` is true become null."""
    dictionary = pa.array(list(vocabulary), type=pa.string())
    indices = pa.array(np.asarray(codes, dtype=np.int32), mask=null)
    return dictionary.take(indices)
