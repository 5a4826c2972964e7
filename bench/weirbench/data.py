"""Input data: a file of N lines of exactly `line_bytes` bytes (newline included)."""

from __future__ import annotations

import hashlib
import os
import random
import string


def write_lines(path: str, lines: int, line_bytes: int) -> None:
    """Line i is its 10-digit number, a space and pseudo-random letters and digits (seed 42)."""
    if line_bytes < 12:
        raise ValueError("line_bytes must be at least 12")
    rng = random.Random(42)
    alphabet = string.ascii_letters + string.digits
    pool = "".join(rng.choice(alphabet) for _ in range(65536))
    body = line_bytes - 12  # 10 digits, a space, ..., the newline
    buf: list[str] = []
    with open(path, "w", encoding="ascii") as f:
        for i in range(lines):
            o = (i * 7919) % (len(pool) - body)
            buf.append(f"{i:010d} {pool[o:o + body]}\n")
            if len(buf) == 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    assert os.path.getsize(path) == lines * line_bytes


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
