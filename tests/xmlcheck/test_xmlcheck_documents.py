from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import WriteFile, order

from flowspec.diagnostics import Diagnostic
from flowspec.errors import SpecError
from flowspec.xmlcheck import XmlChecker, compile_schema_file
from flowspec.xmlcheck._parallel import default_processes
from flowspec.xmlcheck._parsing import MAX_FILE_BYTES, read_file


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.severity == "error"]


def test_valid_document_has_no_diagnostics(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    document = write("in/ok.xml", order(("S-1", "10.50"), ("S-2", "3")))

    assert checker.check(document, order_xsd) == []


def test_document_without_schema_checks_well_formedness(
    checker: XmlChecker, write: WriteFile
) -> None:
    document = write("in/free.xml", "<anything><at>all</at></anything>")

    assert checker.check(document) == []


def test_invalid_decimal_located_on_its_line(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    document = write("in/bad.xml", order(("S-1", "10.50"), ("S-2", "abc")))

    [diagnostic] = checker.check(document, order_xsd)

    assert diagnostic.location.file == str(document)
    assert diagnostic.location.line == 10
    assert diagnostic.location.column == 5
    assert diagnostic.message == (
        "Element 'Amount': 'abc' is not a valid value of the atomic type 'xs:decimal'."
    )


def test_message_uses_document_prefixes(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    text = order(("S-1", "x")).replace('xmlns="urn:example:order"', 'xmlns:o="urn:example:order"')
    text = text.replace("<", "<o:").replace("<o:/", "</o:").replace("<o:?xml", "<?xml")
    document = write("in/prefixed.xml", text)

    [diagnostic] = checker.check(document, order_xsd)

    assert "'o:Amount'" in diagnostic.message
    assert "{urn:example:order}" not in diagnostic.message


def test_several_errors_all_reported(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    document = write("in/bad.xml", order(("S-1", "x"), ("S-2", "10"), ("S-3", "y")))

    diagnostics = checker.check(document, order_xsd)

    assert [d.location.line for d in diagnostics] == [6, 14]


def test_missing_element_reported_where_expected(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    text = order(("S-1", "1")).replace("    <Sku>S-1</Sku>\n", "")
    document = write("in/missing.xml", text)

    [diagnostic] = checker.check(document, order_xsd)

    assert diagnostic.location.line == 5
    assert "Expected is ( Sku )" in diagnostic.message


def test_errors_capped_with_note(write: WriteFile, order_xsd: Path) -> None:
    lines = [(f"S-{i}", "bad") for i in range(25)]
    document = write("in/many.xml", order(*lines))
    checker = XmlChecker(max_errors=20)

    diagnostics = checker.check(document, order_xsd)

    assert len(errors(diagnostics)) == 20
    assert diagnostics[-1].severity == "note"
    assert diagnostics[-1].message.startswith("5 more errors not shown")
    assert diagnostics[-1].location.line == 6 + 20 * 4  # the 21st <Amount>


def test_malformed_document_located(checker: XmlChecker, write: WriteFile) -> None:
    document = write("in/broken.xml", "<Order>\n  <Id>1</Id>\n  <Line>\n</Order>\n")

    [diagnostic] = checker.check(document)

    assert diagnostic.location.line == 4
    assert diagnostic.location.column is not None
    assert "Opening and ending tag mismatch" in diagnostic.message


def test_malformed_document_skips_validation(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    document = write("in/broken.xml", "<Order xmlns='urn:example:order'><Id>1</Order>")

    [diagnostic] = checker.check(document, order_xsd)

    assert "mismatch" in diagnostic.message


@pytest.mark.parametrize(
    ("content", "line", "expected"),
    [
        pytest.param(b"", 1, "Document is empty", id="empty"),
        pytest.param(b"   \n\n", 3, "Start tag expected", id="blank"),
        pytest.param(bytes(range(256)), 1, "binary data", id="all-bytes"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "", id="png-header"),
        pytest.param(b"just text", 1, "Start tag expected", id="text"),
    ],
)
def test_non_xml_content_located(
    checker: XmlChecker, write: WriteFile, content: bytes, line: int, expected: str
) -> None:
    document = write("in/junk.xml", content)

    diagnostics = checker.check(document)

    assert diagnostics
    assert diagnostics[0].location.line == line
    assert expected in diagnostics[0].message


def test_latin1_document_with_declaration_is_valid(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    text = order(("Café", "1")).replace("UTF-8", "ISO-8859-1")
    document = write("in/latin1.xml", text.encode("iso-8859-1"))

    assert checker.check(document, order_xsd) == []


def test_utf16_document_is_valid(checker: XmlChecker, write: WriteFile, order_xsd: Path) -> None:
    text = order(("Ünïcödé", "1")).replace("UTF-8", "UTF-16")
    document = write("in/utf16.xml", text.encode("utf-16"))

    assert checker.check(document, order_xsd) == []


def test_bytes_not_matching_declared_encoding_located(
    checker: XmlChecker, write: WriteFile
) -> None:
    content = b'<?xml version="1.0" encoding="UTF-8"?>\n<Order>\n  <Id>caf\xe9</Id>\n</Order>\n'
    document = write("in/latin1-as-utf8.xml", content)

    [diagnostic] = checker.check(document)

    assert diagnostic.location.line == 3
    assert "encoding" in diagnostic.message


def test_unknown_encoding_located(checker: XmlChecker, write: WriteFile) -> None:
    document = write("in/odd.xml", b'<?xml version="1.0" encoding="no-such-codec"?>\n<a/>')

    [diagnostic] = checker.check(document)

    assert diagnostic.location.line == 1
    assert "no-such-codec" in diagnostic.message


def test_missing_file_reported(checker: XmlChecker, tmp_path: Path) -> None:
    [diagnostic] = checker.check(tmp_path / "absent.xml")

    assert diagnostic.location.file == str(tmp_path / "absent.xml")
    assert "cannot read file" in diagnostic.message


def test_folder_instead_of_file_reported(checker: XmlChecker, tmp_path: Path) -> None:
    [diagnostic] = checker.check(tmp_path)

    assert "cannot read file" in diagnostic.message


def test_check_bytes_with_compiled_schema(checker: XmlChecker, order_xsd: Path) -> None:
    schema = compile_schema_file(order_xsd)
    body = order(("S-1", "NaN-ish")).encode()

    [diagnostic] = checker.check_bytes(body, schema, name="POST /executions")

    assert diagnostic.location.file == "POST /executions"
    assert diagnostic.location.line == 6


def test_check_bytes_with_schema_path_compiles_once(checker: XmlChecker, order_xsd: Path) -> None:
    for amount in ("1", "2", "3"):
        assert checker.check_bytes(order(("S", amount)).encode(), order_xsd) == []

    assert checker.compile_count == 1


def mixed_documents(write: WriteFile) -> list[Path]:
    documents = []
    for number in range(12):
        amount = "bad" if number % 3 == 0 else str(number)
        documents.append(write(f"in/{number:02d}.xml", order(("S", amount))))
    documents.append(write("in/broken.xml", "<Order>"))
    return documents


@pytest.mark.parametrize("processes", [1, 2], ids=["in-process", "forked"])
def test_check_many_matches_check(write: WriteFile, order_xsd: Path, processes: int) -> None:
    documents = mixed_documents(write)
    expected = [XmlChecker().check(document, order_xsd) for document in documents]
    checker = XmlChecker()

    results = checker.check_many([(d, order_xsd) for d in documents], processes=processes)

    assert results == expected
    assert checker.compile_count == 1


@pytest.mark.parametrize("processes", [1, 2], ids=["in-process", "forked"])
def test_check_many_reports_broken_xsd_once(write: WriteFile, processes: int) -> None:
    xsd = write("schemas/broken.xsd", "<xs:schema")
    documents = mixed_documents(write)

    results = XmlChecker().check_many([(d, xsd) for d in documents], processes=processes)

    assert results[0][0].location.file == str(xsd)
    assert all(d.location.file != str(xsd) for result in results[1:] for d in result)
    assert results[-1][-1].location.file.endswith("broken.xml")


def test_check_many_without_schema(write: WriteFile) -> None:
    documents = mixed_documents(write)

    results = XmlChecker().check_many([(d, None) for d in documents], processes=2)

    assert results[:-1] == [[]] * 12
    assert len(results[-1]) == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_fifo_rejected_without_blocking(checker: XmlChecker, tmp_path: Path) -> None:
    fifo = tmp_path / "input.xml"
    os.mkfifo(fifo)

    [diagnostic] = checker.check(fifo)

    assert diagnostic.message == "cannot read file: not a regular file"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_device_include_rejected(checker: XmlChecker, write: WriteFile) -> None:
    xsd = write(
        "schemas/device.xsd",
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
        '  <xs:include schemaLocation="/dev/zero"/>\n'
        "</xs:schema>\n",
    )

    with pytest.raises(SpecError) as raised:
        checker.schema(xsd)

    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location.line == 2
    assert "not a regular file" in diagnostic.message


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"<a>" * 300 + b"</a>" * 300, id="deep-nesting"),
        pytest.param(b"<a>" + b"x" * 10_000_001 + b"</a>", id="long-text"),
    ],
)
def test_libxml2_limits_kept_with_hint(checker: XmlChecker, content: bytes) -> None:
    [diagnostic] = checker.check_bytes(content)

    assert diagnostic.location.line == 1
    assert "XML_PARSE_HUGE" not in diagnostic.message
    assert diagnostic.hint is not None
    assert "256 levels" in diagnostic.hint


def test_shared_checker_across_threads(order_xsd: Path) -> None:
    checker = XmlChecker()
    schema = checker.schema(order_xsd)
    bodies = [order(("S", "bad" if n % 2 else str(n))).encode() for n in range(40)]
    expected = [checker.check_bytes(body, schema) for body in bodies]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda body: checker.check_bytes(body, schema), bodies))

    assert results == expected
    assert sum(1 for result in results if result) == 20


def test_column_counts_characters_not_bytes(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    text = order(("S", "1")).replace("    <Amount>1", "  <!--ééé--><Amount>x")
    document = write("in/utf8.xml", text.encode("utf-8"))

    [diagnostic] = checker.check(document, order_xsd)

    assert diagnostic.location.line == 6
    assert diagnostic.location.column == 13


def test_column_of_second_element_on_line(checker: XmlChecker, order_xsd: Path) -> None:
    body = order(("S", "1")).replace("<Sku>S</Sku>", "<Sku>S</Sku><Extra/>").encode()

    [diagnostic] = checker.check_bytes(body, order_xsd)

    assert diagnostic.location.line == 5
    assert diagnostic.location.column == 17


def test_few_files_checked_in_one_process() -> None:
    assert default_processes(150) == 1


def test_many_files_use_at_most_all_cores() -> None:
    processes = default_processes(1_000_000)

    assert 1 <= processes <= (os.cpu_count() or 1)


def test_oversized_file_rejected_before_reading(checker: XmlChecker, tmp_path: Path) -> None:
    huge = tmp_path / "dump.xml"
    with huge.open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES + 1)  # sparse: no real disk use

    [diagnostic] = checker.check(huge)

    assert diagnostic.message == "cannot read file: file is 64.0 MiB, above the 64 MiB limit"
    assert diagnostic.hint == "split the document into smaller ones"


def test_file_at_size_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "edge.xml"
    with path.open("wb") as stream:
        stream.truncate(MAX_FILE_BYTES)

    assert len(read_file(path)) == MAX_FILE_BYTES
