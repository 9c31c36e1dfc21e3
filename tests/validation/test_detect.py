"""The pure head checks: every reason code, and the dialects that must be accepted."""

from __future__ import annotations

import pytest

from retailctl.config import PipelineConfig
from retailctl.validation import InvalidFile, inspect_head
from retailctl.validation.detect import REASON_CODES

HEADER = "transaction_id,store_id,product_id,quantity,unit_price,currency,sold_at,customer_id,payment_method"
ROW = "t-1,s1,p1,2,9.99,USD,2024-05-01T10:00:00Z,c1,card"


def good(delimiter: str = ",", newline: str = "\n") -> str:
    lines = [HEADER, ROW, ROW.replace("t-1", "t-2")]
    return newline.join(line.replace(",", delimiter) for line in lines) + newline


def inspect(data: bytes, config: PipelineConfig, complete: bool = True):  # type: ignore[no-untyped-def]
    return inspect_head(data, complete=complete, dataset=config.dataset, name="raw/x.csv")


def reason(data: bytes, config: PipelineConfig, complete: bool = True) -> InvalidFile:
    with pytest.raises(InvalidFile) as caught:
        inspect(data, config, complete)
    assert caught.value.reason_code in REASON_CODES
    assert "raw/x.csv" in caught.value.message
    return caught.value


def test_plain_comma_file(config: PipelineConfig) -> None:
    detected = inspect(good().encode(), config)
    assert (detected.delimiter, detected.encoding, detected.bom, detected.line_terminator) == (",", "utf-8", False, "\n")
    assert detected.column_positions["transaction_id"] == 0
    assert detected.column_positions["payment_method"] == 8
    assert detected.extra_columns == ()


def test_semicolon_bom_crlf(config: PipelineConfig) -> None:
    detected = inspect(b"\xef\xbb\xbf" + good(";", "\r\n").encode(), config)
    assert (detected.delimiter, detected.encoding, detected.bom, detected.line_terminator) == (";", "utf-8-sig", True, "\r\n")
    assert detected.header[0] == "transaction_id"


def test_tab(config: PipelineConfig) -> None:
    assert inspect(good("\t").encode(), config).delimiter == "\t"


def test_pipe_with_quoted_fields_holding_other_delimiters(config: PipelineConfig) -> None:
    text = HEADER.replace(",", "|") + '\n"t-1"|"s,1;x"|"p|1"|2|9.99|USD|2024-05-01T10:00:00Z|"Doe, J"|card\n'
    assert inspect(text.encode(), config).delimiter == "|"


def test_semicolon_with_decimal_commas_in_quotes(config: PipelineConfig) -> None:
    text = HEADER.replace(",", ";") + '\nt-1;s1;p1;2;"9,99";EUR;2024-05-01T10:00:00+02:00;"a,b";cash\n'
    assert inspect(text.encode(), config).delimiter == ";"


def test_shuffled_trimmed_case_insensitive_header_with_extra_column(config: PipelineConfig) -> None:
    columns = HEADER.split(",")
    shuffled = [f"  {c.upper()} " for c in reversed(columns)] + ["note"]
    text = ",".join(shuffled) + "\n" + ",".join(reversed(ROW.split(","))) + ",hi\n"
    detected = inspect(text.encode(), config)
    assert detected.column_positions["transaction_id"] == 8
    assert detected.column_positions["payment_method"] == 0
    assert detected.extra_columns == ("note",)
    assert detected.header[0] == "  PAYMENT_METHOD "


def test_optional_column_may_be_absent(config: PipelineConfig) -> None:
    text = good().replace(",customer_id", "").replace(",c1", "")
    assert "customer_id" not in inspect(text.encode(), config).column_positions


def test_empty_and_whitespace_only(config: PipelineConfig) -> None:
    assert reason(b"", config).reason_code == "empty_file"
    assert reason(b"\xef\xbb\xbf\r\n \n", config).reason_code == "empty_file"


def test_header_only_even_with_blank_lines(config: PipelineConfig) -> None:
    assert reason((HEADER + "\n").encode(), config).reason_code == "header_only"
    assert reason((HEADER + "\r\n\r\n  \r\n,,,\n").encode(), config).reason_code == "header_only"


def test_header_only_in_a_cut_head_is_not_judged(config: PipelineConfig) -> None:
    assert inspect((HEADER + "\n" + ROW[:10]).encode(), config, complete=False).sample_rows == 0


def test_missing_columns_are_all_named(config: PipelineConfig) -> None:
    text = good().replace("currency", "curr").replace(",sold_at", ",when")
    problem = reason(text.encode(), config)
    assert problem.reason_code == "missing_columns"
    assert problem.details["missing"] == ["currency", "sold_at"]
    assert "currency, sold_at" in problem.message


def test_duplicate_columns(config: PipelineConfig) -> None:
    text = good().replace("customer_id", "Store_ID ")
    problem = reason(text.encode(), config)
    assert problem.reason_code == "duplicate_columns"
    assert problem.details["duplicates"] == ["store_id"]


def test_no_delimiter(config: PipelineConfig) -> None:
    assert reason(b"just one column\nvalue\n", config).reason_code == "no_delimiter"


def test_utf16_by_bom_and_by_nul_pattern(config: PipelineConfig) -> None:
    assert reason(good().encode("utf-16"), config).reason_code == "unsupported_encoding"
    assert reason(good().encode("utf-16-le"), config).reason_code == "unsupported_encoding"
    assert reason(good().encode("utf-32"), config).reason_code == "unsupported_encoding"


def test_binary_garbage(config: PipelineConfig) -> None:
    assert reason(bytes(range(256)) * 8, config).reason_code == "binary_content"
    assert reason(b"PK\x03\x04" + b"\x00" * 50, config).reason_code == "binary_content"
    assert reason(good().encode() + b"\x00\x01", config).reason_code == "binary_content"


def test_invalid_utf8_names_offset_and_line(config: PipelineConfig) -> None:
    problem = reason(good().replace("c1", "Jos\u00e9").encode("cp1252"), config)
    assert problem.reason_code == "invalid_utf8"
    assert problem.details["line"] == 2
    assert "Windows-1252" in problem.message


def test_multibyte_character_cut_at_the_end_of_the_head_is_fine(config: PipelineConfig) -> None:
    data = (good() + "t-3,s1,p1,1,1.00,EUR,2024-05-01,Zoë").encode()
    cut = data[: data.rindex("ë".encode()) + 1]
    assert inspect(cut, config, complete=False).delimiter == ","
    assert reason(cut, config, complete=True).reason_code == "invalid_utf8"


def test_header_longer_than_the_head(config: PipelineConfig) -> None:
    assert reason(("x," * 1000).encode(), config, complete=False).reason_code == "header_too_long"


def test_unicode_and_latin_text_in_rows_is_fine(config: PipelineConfig) -> None:
    assert inspect(good().replace("c1", "Zoë 東京 🙂").encode(), config).delimiter == ","


def test_a_file_without_header_row_gets_a_hint(config: PipelineConfig) -> None:
    problem = reason((ROW + "\n" + ROW + "\n").encode(), config)
    assert problem.reason_code == "missing_columns" and "header row missing" in problem.message


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r", "\r\r\n"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_excel_delimiter_line_names_the_delimiter_and_the_header_follows(config: PipelineConfig, delimiter: str, newline: str) -> None:
    detected = inspect(f"SEP={delimiter}{newline}{good(delimiter, newline)}".encode(), config)
    assert (detected.delimiter, detected.header_line, detected.sample_rows) == (delimiter, 2, 2)
    assert detected.to_dict()["header_line"] == 2


def test_excel_delimiter_line_naming_another_delimiter_says_so(config: PipelineConfig) -> None:
    problem = reason(("sep=:\n" + good(":")).encode(), config)
    assert problem.reason_code == "no_delimiter"
    assert "'sep=:'" in problem.message and "':'" in problem.message and "comma, semicolon, TAB or pipe" in problem.message


def test_crlf_converted_twice_is_one_line_end(config: PipelineConfig) -> None:
    """A CRLF file written again in text mode on Windows ends its lines in CR CR LF: one line end, not two."""
    detected = inspect(("\r\r\n" + good(",", "\r\r\n")).encode(), config)
    assert (detected.line_terminator, detected.header_line, detected.sample_rows) == ("\r\r\n", 2, 2)


@pytest.mark.parametrize(("before", "line"), [("", 1), ("\n", 2), ("\n  \n", 3), (",,,\n", 2), ("\r\n\r\n", 3)])
def test_header_line_counts_the_blank_lines_before_it(config: PipelineConfig, before: str, line: int) -> None:
    assert inspect((before + good()).encode(), config).header_line == line
