"""Pure checks over the head of a file: encoding, dialect, header. Standard library only.

Every failure raises :class:`InvalidFile` with one of these stable reason codes:

=====================  =========================================================================
reason code            meaning
=====================  =========================================================================
empty_file             0 bytes, or nothing but a BOM and whitespace
header_only            a header and no data row (blank lines do not count as rows)
missing_columns        a required column of the dataset is not in the header (all are named)
duplicate_columns      the same column name (trimmed, case-insensitive) appears twice in the header
no_delimiter           none of ``,`` ``;`` TAB ``|`` splits the header, or two of them fit equally
header_too_long        the head read holds no complete header line
unsupported_encoding   UTF-16 or UTF-32 (by BOM or by the NUL pattern); only UTF-8 is read
binary_content         not text: a known binary format, NUL bytes or many control bytes
invalid_utf8           bytes in the head that are not UTF-8 (a character cut at the end is fine)
name_in_use            a file of the same name still waits in validated/ (see ``validator``)
unreadable             any unexpected error while validating; the reason JSON has the stacktrace
=====================  =========================================================================
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from retailctl.config import DatasetSpec
from retailctl.errors import FileRejected

EMPTY_FILE = "empty_file"
HEADER_ONLY = "header_only"
MISSING_COLUMNS = "missing_columns"
DUPLICATE_COLUMNS = "duplicate_columns"
NO_DELIMITER = "no_delimiter"
HEADER_TOO_LONG = "header_too_long"
UNSUPPORTED_ENCODING = "unsupported_encoding"
BINARY_CONTENT = "binary_content"
INVALID_UTF8 = "invalid_utf8"
NAME_IN_USE = "name_in_use"
UNREADABLE = "unreadable"

REASON_CODES: tuple[str, ...] = (
    EMPTY_FILE, HEADER_ONLY, MISSING_COLUMNS, DUPLICATE_COLUMNS, NO_DELIMITER, HEADER_TOO_LONG,
    UNSUPPORTED_ENCODING, BINARY_CONTENT, INVALID_UTF8, NAME_IN_USE, UNREADABLE,
)

DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "TAB", "|": "pipe"}
QUOTECHAR = '"'
SAMPLE_ROWS = 200

_UTF8_BOM = codecs.BOM_UTF8
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document (.xls)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\xfd7zXZ", "an xz archive"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"SQLite format 3", "an SQLite database"),
)
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v\x1a\x1b")
_CONTROL_BYTE_LIMIT = 0.01


class InvalidFile(FileRejected):
    """A file that fails validation: a stable reason code, a sentence for people, and details."""

    def __init__(self, reason_code: str, message: str, details: dict[str, Any] | None = None) -> None:
        self.reason_code = reason_code
        self.message = message
        self.details = details or {}
        super().__init__(message)


@dataclass(frozen=True)
class Detected:
    """What the head of an accepted file told us."""

    encoding: str
    bom: bool
    delimiter: str
    line_terminator: str
    header: tuple[str, ...]
    column_positions: dict[str, int]
    extra_columns: tuple[str, ...]
    quotechar: str = QUOTECHAR
    sample_rows: int = 0
    header_line: int = 1
    """The header's line number: 1, unless blank lines or Excel's ``sep=`` line come first."""

    def to_dict(self) -> dict[str, Any]:
        """The detected format as the validation record stores it."""
        return {
            "encoding": self.encoding,
            "bom": self.bom,
            "delimiter": self.delimiter,
            "quotechar": self.quotechar,
            "line_terminator": self.line_terminator,
            "header": list(self.header),
            "column_positions": dict(self.column_positions),
            "extra_columns": list(self.extra_columns),
            "header_line": self.header_line,
        }


def inspect_head(head: bytes, *, complete: bool, dataset: DatasetSpec, name: str = "the file") -> Detected:
    """Decide whether ``head`` (the first bytes of a file; all of it when ``complete``) is a loadable CSV.

    Raises InvalidFile with a reason code from the module table when it is not.
    """
    text, bom = decode_head(head, complete=complete, name=name)
    if not text.strip():
        size = "0 bytes" if not head else "only whitespace"
        raise InvalidFile(EMPTY_FILE, f"{name} is empty ({size}): there is nothing to load.", {"bytes": len(head)})
    if not complete and "\n" not in text and "\r" not in text:
        raise InvalidFile(
            HEADER_TOO_LONG,
            f"{name} has no complete header line in its first {len(head)} bytes; is it really a CSV file?",
            {"head_bytes": len(head)},
        )
    terminator = line_terminator(text)
    if terminator == DOUBLE_CR_LINE_END:
        text = text.replace(DOUBLE_CR_LINE_END, "\r\n")
    hinted, skipped = excel_delimiter_hint(text, name)
    body = text[skipped:]
    delimiter, rows = choose_delimiter(body, complete=complete, dataset=dataset, name=name, only=hinted)
    header, data_rows = rows[0], rows[1:]
    positions, extra = map_header(header, dataset, name=name)
    if not data_rows and complete:
        raise InvalidFile(
            HEADER_ONLY,
            f"{name} has a header but no data rows: there is nothing to load.",
            {"header": header},
        )
    return Detected(
        encoding="utf-8-sig" if bom else "utf-8",
        bom=bom,
        delimiter=delimiter,
        line_terminator=terminator,
        header=tuple(header),
        column_positions=positions,
        extra_columns=tuple(extra),
        sample_rows=len(data_rows),
        header_line=(1 if skipped else 0) + header_line_in(body, delimiter),
    )


def decode_head(head: bytes, *, complete: bool, name: str = "the file") -> tuple[str, bool]:
    """The head as text and whether it had a UTF-8 BOM; rejects UTF-16/32, binary and invalid UTF-8."""
    for wide_bom, encoding in _WIDE_BOMS:
        if head.startswith(wide_bom):
            raise _wide_encoding(name, encoding, "byte-order mark")
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise InvalidFile(
                BINARY_CONTENT,
                f"{name} is {what}, not a CSV text file; export it as CSV (UTF-8) and send it again.",
                {"format": what, "first_bytes": head[:16].hex(" ")},
            )
    bom = head.startswith(_UTF8_BOM)
    body = head[len(_UTF8_BOM):] if bom else head
    if b"\x00" in body:
        if _looks_utf16(body):
            raise _wide_encoding(name, "UTF-16", "NUL bytes between the characters")
        offset = body.index(b"\x00") + (len(_UTF8_BOM) if bom else 0)
        raise InvalidFile(
            BINARY_CONTENT,
            f"{name} is not a text file: it has NUL bytes (the first at byte {offset}).",
            {"first_nul_offset": offset, "nul_bytes": body.count(b"\x00")},
        )
    controls = sum(1 for byte in body if byte < 0x20 and byte not in _TEXT_CONTROLS)
    if body and controls / len(body) > _CONTROL_BYTE_LIMIT:
        raise InvalidFile(
            BINARY_CONTENT,
            f"{name} is not a text file: {controls} of its first {len(body)} bytes are control characters.",
            {"control_bytes": controls, "bytes_checked": len(body)},
        )
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(body, final=complete)
    except UnicodeDecodeError as exc:
        offset = exc.start + (len(_UTF8_BOM) if bom else 0)
        line = body[: exc.start].count(b"\n") + 1
        bad = body[exc.start: exc.end].hex(" ")
        raise InvalidFile(
            INVALID_UTF8,
            f"{name} is not valid UTF-8: byte(s) {bad} at offset {offset} (line {line}) cannot be decoded. "
            "If it was saved as Windows-1252 or Latin-1, re-save it as UTF-8.",
            {"offset": offset, "line": line, "bytes": bad},
        ) from None
    return text, bom


def _looks_utf16(body: bytes) -> bool:
    """NULs in every other byte, as ASCII text encoded as UTF-16 has."""
    sample = body[:4096]
    even_nuls = sample[0::2].count(0)
    odd_nuls = sample[1::2].count(0)
    half = max(1, len(sample) // 2)
    return max(even_nuls, odd_nuls) / half > 0.4 and min(even_nuls, odd_nuls) / half < 0.1


def _wide_encoding(name: str, encoding: str, evidence: str) -> InvalidFile:
    return InvalidFile(
        UNSUPPORTED_ENCODING,
        f"{name} is {encoding} encoded ({evidence}); retailctl reads UTF-8 only: re-save it as CSV UTF-8.",
        {"encoding": encoding.lower(), "evidence": evidence},
    )


DOUBLE_CR_LINE_END = "\r\r\n"
"""CR CR LF: a CRLF file whose line ends were converted once more; one line end, not a line and a blank one."""


def line_terminator(text: str) -> str:
    """The line end of the first line: ``\\r\\n``, ``\\n``, (old Mac files) ``\\r``, or ``\\r\\r\\n`` (a CRLF file
    whose line ends were converted once more, as text-mode writing on Windows does)."""
    newline = text.find("\n")
    carriage = text.find("\r")
    if newline == -1 and carriage == -1:
        return "\n"
    if carriage != -1 and carriage == newline - 2 and text[carriage + 1] == "\r":
        return DOUBLE_CR_LINE_END
    if newline == -1 or (carriage != -1 and carriage < newline - 1):
        return "\r"
    return "\r\n" if carriage == newline - 1 else "\n"


def parse_rows(text: str, delimiter: str, *, complete: bool, limit: int = SAMPLE_ROWS) -> list[list[str]]:
    """The first non-blank rows of ``text`` split by ``delimiter`` (a row cut by the head's end is dropped)."""
    rows: list[list[str]] = []
    for _, row in _filled_rows(text, delimiter):
        rows.append(row)
        if len(rows) > limit:
            break
    else:
        if not complete and len(rows) > 1:
            rows.pop()
    return rows[:limit]


def header_line_in(text: str, delimiter: str) -> int:
    """The line number of the first row :func:`parse_rows` keeps (the header): rows of blank cells come first."""
    return next((line for line, _ in _filled_rows(text, delimiter)), 1)


def _filled_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """Each row with a non-blank cell, and the line it ends on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar=QUOTECHAR)
    for row in reader:
        if any(cell.strip() for cell in row):
            yield reader.line_num, row


def excel_delimiter_hint(text: str, name: str = "the file") -> tuple[str | None, int]:
    """The delimiter Excel's first line names (``sep=;``) and where the text after that line starts; else ``(None, 0)``.

    Raises InvalidFile when the line names a delimiter retailctl does not split on.
    """
    match = _EXCEL_DELIMITER_LINE.match(text)
    if match is None:
        return None, 0
    if match["delimiter"] not in DELIMITERS:
        raise InvalidFile(
            NO_DELIMITER,
            f"{name}: its first line {match[0].strip()!r} says fields are separated by {match['delimiter']!r}; retailctl "
            "splits on a comma, semicolon, TAB or pipe: re-save it with one of those.",
            {"sep_line": match[0].strip(), "tried": [DELIMITER_NAMES[d] for d in DELIMITERS]},
        )
    return match["delimiter"], match.end()


_EXCEL_DELIMITER_LINE = re.compile(r"\ufeff?[ \t]*sep=(?P<delimiter>.)[ \t]*(\r\n|\n|\r)", re.IGNORECASE)
"""Excel's line naming the delimiter, first in a file: ``sep=;`` and a line end."""


def choose_delimiter(
    text: str, *, complete: bool, dataset: DatasetSpec, name: str = "the file", only: str | None = None
) -> tuple[str, list[list[str]]]:
    """The delimiter that splits the header into the dataset's columns and the rows consistently (``only``: the
    one the file names)."""
    known = {column.casefold() for column in dataset.column_names}
    scored: list[tuple[tuple[int, float, int], str, list[list[str]]]] = []
    for delimiter in (only,) if only else DELIMITERS:
        try:
            rows = parse_rows(text, delimiter, complete=complete)
        except csv.Error:
            continue
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        matched = len({cell.strip().casefold() for cell in rows[0]} & known)
        data = rows[1:]
        consistency = sum(1 for row in data if len(row) == width) / len(data) if data else 1.0
        scored.append(((matched, consistency, width), delimiter, rows))
    first_line = text.lstrip("\ufeff\r\n").splitlines()[0] if text.strip() else ""
    if not scored:
        raise InvalidFile(
            NO_DELIMITER,
            f"{name}: its header line is not split into columns by a comma, semicolon, TAB or pipe.",
            {"header_line": first_line[:500], "tried": [DELIMITER_NAMES[d] for d in DELIMITERS]},
        )
    scored.sort(key=lambda item: item[0], reverse=True)
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        tied = [DELIMITER_NAMES[d] for score, d, _ in scored if score == scored[0][0]]
        raise InvalidFile(
            NO_DELIMITER,
            f"{name}: cannot tell its delimiter; {' and '.join(tied)} split the header and rows equally well.",
            {"header_line": first_line[:500], "candidates": tied},
        )
    _, delimiter, rows = scored[0]
    return delimiter, rows


def map_header(header: list[str], dataset: DatasetSpec, *, name: str = "the file") -> tuple[dict[str, int], list[str]]:
    """Dataset column -> position in the file, and the header cells that are not dataset columns."""
    normalized = [cell.strip().casefold() for cell in header]
    duplicates = sorted({cell for cell in normalized if cell and normalized.count(cell) > 1})
    if duplicates:
        raise InvalidFile(
            DUPLICATE_COLUMNS,
            f"{name} names the column(s) {', '.join(duplicates)} more than once in its header.",
            {"duplicates": duplicates, "header": header},
        )
    positions = {
        column: normalized.index(column.casefold())
        for column in dataset.column_names
        if column.casefold() in normalized
    }
    missing = [column for column in dataset.required_columns if column not in positions]
    if missing:
        hint = " (is its header row missing?)" if not positions else ""
        raise InvalidFile(
            MISSING_COLUMNS,
            f"{name} is missing the required column(s) {', '.join(missing)}; its header has: "
            f"{', '.join(cell.strip() for cell in header)}{hint}.",
            {"missing": missing, "header": header, "required": list(dataset.required_columns)},
        )
    used = set(positions.values())
    extra = [cell.strip() for index, cell in enumerate(header) if index not in used]
    return positions, extra
