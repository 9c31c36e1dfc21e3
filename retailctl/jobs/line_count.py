"""Lines of a raw file counted from its bytes on the driver, as Spark's text reader will number them.

A file read with ``lineSep="\\n"`` is cut into blocks at multiples of the split size; every block
but the first skips the remainder of the line it starts in (Hadoop's ``LineRecordReader``: the
block before reads one line past its end). So the first line a block at byte ``s > 0`` yields is
the line after the one holding byte ``s``: number ``newlines in [0, s) + 2``. Counting that here,
at memory speed, saves a Spark pass over the whole text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

NEWLINE = b"\n"
_LONE_CARRIAGE_RETURN = re.compile(rb"\r(?!\n)")


@dataclass
class LineCount:
    """What one file holds: its lines, the lines with an odd number of quotes, and each block's first line."""

    lines: int = 0
    odd_quote_lines: list[int] = field(default_factory=list)
    first_lines: dict[int, int] = field(default_factory=dict)
    """Block start byte -> the 1-based number of the first line Spark's reader yields in that block."""


def block_starts(size: int, split_bytes: int) -> range:
    """Where Spark cuts a splittable file of ``size`` bytes into splits of ``split_bytes``."""
    return range(0, max(size, 1), max(split_bytes, 1))


def count_lines(chunks: Iterable[bytes], starts: Iterable[int], quote: bytes = b'"') -> LineCount:
    """Count the lines of a file given as consecutive ``chunks`` (``\\n`` ends a line; a last line may lack it).

    ``starts`` are block start bytes (see :func:`block_starts`); a start at or past the end of the file
    gets no entry. Only lines holding the quote byte are looked at one by one.
    """
    result = LineCount()
    pending = sorted(set(starts), reverse=True)
    offset = newlines = 0
    quotes_in_open_line = bytes_in_open_line = 0
    for chunk in chunks:
        end = offset + len(chunk)
        while pending and pending[-1] < end:
            start = pending.pop()
            result.first_lines[start] = 1 if start == 0 else newlines + chunk.count(NEWLINE, 0, start - offset) + 2
        last = chunk.rfind(NEWLINE)
        if last < 0:
            quotes_in_open_line += chunk.count(quote)
            bytes_in_open_line += len(chunk)
            offset = end
            continue
        first = chunk.find(NEWLINE)
        if (quotes_in_open_line + chunk.count(quote, 0, first)) % 2:
            result.odd_quote_lines.append(newlines + 1)
        newlines += 1
        newlines = _odd_lines_between(chunk, first + 1, last + 1, quote, newlines, result.odd_quote_lines)
        quotes_in_open_line = chunk.count(quote, last + 1)
        bytes_in_open_line = len(chunk) - last - 1
        offset = end
    result.lines = newlines + (1 if bytes_in_open_line else 0)
    if bytes_in_open_line and quotes_in_open_line % 2:
        result.odd_quote_lines.append(result.lines)
    return result


def _odd_lines_between(chunk: bytes, begin: int, end: int, quote: bytes, newlines: int, odd: list[int]) -> int:
    """Add the odd-quote lines among the whole lines in ``chunk[begin:end]``; return ``newlines`` past them."""
    counted_to = begin
    found = chunk.find(quote, begin, end)
    while found >= 0:
        line_start = chunk.rfind(NEWLINE, begin, found) + 1 or begin
        line_end = chunk.find(NEWLINE, found, end)
        newlines += chunk.count(NEWLINE, counted_to, line_start)
        if chunk.count(quote, line_start, line_end) % 2:
            odd.append(newlines + 1)
        newlines += 1
        counted_to = line_end + 1
        found = chunk.find(quote, counted_to, end)
    return newlines + chunk.count(NEWLINE, counted_to, end)


def with_lf_line_ends(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """``chunks`` with each carriage return that is not half of a CRLF turned into ``\\n``: a file with old Mac
    line ends (CR alone) as lines Spark's reader and :func:`count_lines` can split, byte for byte as long."""
    held = b""
    for chunk in chunks:
        chunk = held + chunk
        held = b"\r" if chunk.endswith(b"\r") else b""
        yield _LONE_CARRIAGE_RETURN.sub(NEWLINE, chunk[: len(chunk) - len(held)])
    if held:
        yield NEWLINE
