"""Lines counted on the driver agree with a plain reading of the bytes, however the file is chunked."""

from __future__ import annotations

import random

import pytest

from retailctl.jobs.line_count import block_starts, count_lines, with_lf_line_ends


def plain_reading(data: bytes, starts: range) -> tuple[int, list[int], dict[int, int]]:
    """Lines as ``bytes.split`` sees them, and each block's first line as Hadoop's reader yields it."""
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    odd = [number for number, line in enumerate(lines, start=1) if line.count(b'"') % 2]
    first = {start: 1 if start == 0 else data.count(b"\n", 0, start) + 2 for start in starts if start < len(data)}
    return len(lines), odd, first


def chunked(data: bytes, rng: random.Random) -> list[bytes]:
    chunks, at = [], 0
    while at < len(data):
        size = rng.choice([1, 2, 3, 7, 64, 1000])
        chunks.append(data[at : at + size])
        at += size
    return chunks


@pytest.mark.parametrize("seed", range(200))
def test_random_files_in_random_chunks(seed: int) -> None:
    rng = random.Random(seed)
    data = bytes(rng.choice(b'aaaa,"\n\r') for _ in range(rng.randrange(0, 400)))
    starts = block_starts(len(data), rng.choice([1, 5, 16, 64, 1000]))

    found = count_lines(chunked(data, rng), starts)

    assert (found.lines, found.odd_quote_lines, found.first_lines) == plain_reading(data, starts)


@pytest.mark.parametrize(
    ("data", "lines", "odd"),
    [
        (b"", 0, []),
        (b"\n", 1, []),
        (b"a", 1, []),
        (b'h\n"a\nb"\nc\n', 4, [2, 3]),
        (b'h\n"open to the end', 2, [2]),
        (b'h\r\nx,"y ""z""",1\r\n', 2, []),
    ],
)
def test_edges(data: bytes, lines: int, odd: list[int]) -> None:
    found = count_lines([data], block_starts(len(data), 1 << 20))
    assert (found.lines, found.odd_quote_lines) == (lines, odd)
    assert found.first_lines == ({0: 1} if data else {})


@pytest.mark.parametrize("seed", range(20))
def test_lone_carriage_returns_become_newlines_however_the_file_is_chunked(seed: int) -> None:
    rng = random.Random(seed)
    data = b"".join(rng.choice([b"a", b",", b'"', b"\r", b"\n", b"\r\n", "é".encode()]) for _ in range(rng.randrange(0, 400)))
    expected = data.replace(b"\r\n", b"\x00").replace(b"\r", b"\n").replace(b"\x00", b"\r\n")
    converted = b"".join(with_lf_line_ends(chunked(data, rng)))
    assert converted == expected and len(converted) == len(data)


def test_an_old_mac_file_is_counted_like_its_lf_twin() -> None:
    lf = b'id,note\n1,"two\nlines"\n2,x\n'
    converted = b"".join(with_lf_line_ends([lf.replace(b"\n", b"\r")[:13], lf.replace(b"\n", b"\r")[13:]]))
    assert converted == lf
    assert count_lines([converted], block_starts(len(lf), 8)) == count_lines([lf], block_starts(len(lf), 8))
