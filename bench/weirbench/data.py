"""Input data: a file of N lines of exactly `line_bytes` bytes (newline included)."""

from __future__ import annotations

import hashlib
import os
import random
import string


def _pool() -> str:
    rng = random.Random(42)
    alphabet = string.ascii_letters + string.digits
    return "".join(rng.choice(alphabet) for _ in range(65536))


def write_lines(path: str, lines: int, line_bytes: int, first: int = 0) -> None:
    """Line i is its 10-digit number, a space and pseudo-random letters and digits (seed 42).
    The file holds lines `first` to `first + lines - 1`."""
    if line_bytes < 12:
        raise ValueError("line_bytes must be at least 12")
    pool = _pool()
    body = line_bytes - 12  # 10 digits, a space, ..., the newline
    buf: list[str] = []
    with open(path, "w", encoding="ascii") as f:
        for i in range(first, first + lines):
            o = (i * 7919) % (len(pool) - body)
            buf.append(f"{i:010d} {pool[o:o + body]}\n")
            if len(buf) == 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    assert os.path.getsize(path) == lines * line_bytes


JSON_OVERHEAD = len('{"id":"0000000000","pad":""}\n')


def write_json_lines(path: str, lines: int, line_bytes: int, first: int = 0) -> None:
    """Line i is `{"id":"<10-digit i>","pad":"<letters and digits>"}`, compact, its keys in
    sorted order: a JSON writer without a schema writes it back byte for byte."""
    if line_bytes < JSON_OVERHEAD:
        raise ValueError(f"line_bytes must be at least {JSON_OVERHEAD} for JSON lines")
    pool = _pool()
    body = line_bytes - JSON_OVERHEAD
    buf: list[str] = []
    with open(path, "w", encoding="ascii") as f:
        for i in range(first, first + lines):
            o = (i * 7919) % (len(pool) - body)
            buf.append(f'{{"id":"{i:010d}","pad":"{pool[o:o + body]}"}}\n')
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
