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


def _write(path: str, lines: int, line_bytes: int, first: int, overhead: int, line) -> None:
    """Writes lines `first` to `first + lines - 1`, line i being `line(i, body)` where body is
    `line_bytes - overhead` pseudo-random letters and digits (seed 42), each line exactly
    `line_bytes` bytes."""
    if line_bytes < overhead:
        raise ValueError(f"line_bytes must be at least {overhead}")
    pool = _pool()
    body = line_bytes - overhead
    buf: list[str] = []
    with open(path, "w", encoding="ascii") as f:
        for i in range(first, first + lines):
            o = (i * 7919) % (len(pool) - body)
            buf.append(line(i, pool[o:o + body]))
            if len(buf) == 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    assert os.path.getsize(path) == lines * line_bytes


def write_lines(path: str, lines: int, line_bytes: int, first: int = 0) -> None:
    """Line i is its 10-digit number, a space and pseudo-random letters and digits (seed 42).
    The file holds lines `first` to `first + lines - 1`."""
    # 10 digits, a space, ..., the newline
    _write(path, lines, line_bytes, first, 12, lambda i, body: f"{i:010d} {body}\n")


JSON_OVERHEAD = len('{"id":"0000000000","pad":""}\n')


def write_json_lines(path: str, lines: int, line_bytes: int, first: int = 0) -> None:
    """Line i is `{"id":"<10-digit i>","pad":"<letters and digits>"}`, compact, its keys in
    sorted order: a JSON writer without a schema writes it back byte for byte."""
    _write(path, lines, line_bytes, first, JSON_OVERHEAD,
           lambda i, body: f'{{"id":"{i:010d}","pad":"{body}"}}\n')


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()
