"""The app's icon, drawn in code: a teal tile with a white clock face.

Written as PNG with zlib alone, so the build needs no image library and the
same size always gives the same bytes.
"""

from __future__ import annotations

import math
import struct
import zlib

TEAL = (0x00, 0x79, 0x6B)
WHITE = (0xFF, 0xFF, 0xFF)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def _pixel(x: float, y: float, radius: float) -> tuple[int, int, int]:
    """White on the clock's ring and hands, teal elsewhere (coordinates from the centre)."""
    distance = math.hypot(x, y)
    ring = radius * 0.08
    if abs(distance - radius) <= ring:
        return WHITE
    hand = radius * 0.07
    # Hour hand to twelve, minute hand to three: a clock face read at a glance.
    if abs(x) <= hand and -radius * 0.62 <= y <= hand:
        return WHITE
    if abs(y) <= hand and -hand <= x <= radius * 0.75:
        return WHITE
    return TEAL


def icon_png(size: int, *, maskable: bool = False) -> bytes:
    """A square icon of `size` pixels; maskable icons keep the drawing in the safe zone."""
    radius = size * (0.30 if maskable else 0.38)
    centre = (size - 1) / 2
    rows = bytearray()
    for row in range(size):
        rows.append(0)  # filter type: none
        for column in range(size):
            rows.extend(_pixel(column - centre, row - centre, radius))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )
