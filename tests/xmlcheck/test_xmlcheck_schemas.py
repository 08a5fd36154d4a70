from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import ORDER_XSD, Listener, WriteFile, order

from flowspec.errors import SpecError
from flowspec.xmlcheck import XmlChecker, compile_schema_bytes, compile_schema_file

TYPES_XSD = """\
<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           targetNamespace="urn:example:types" elementFormDefault="qualified">
  <xs:simpleType name="Money">
    <xs:restriction base="xs:decimal">
      <xs:fractionDigits value="2"/>
    </xs:restriction>
  </xs:simpleType>
</xs:schema>
"""


def importing_xsd(schema_location: str) -> str:
    return f"""\
<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:t="urn:example:types" targetNamespace="urn:example:order"
           elementFormDefault="qualified">
  <xs:import namespace="urn:example:types" schemaLocation="{schema_location}"/>
  <xs:element name="Total" type="t:Money"/>
</xs:schema>
"""


TOTAL = '<?xml version="1.0"?>\n<Total xmlns="urn:example:order">{}</Total>\n'


def test_schema_compiled_once_for_many_files(
    checker: XmlChecker, write: WriteFile, order_xsd: Path
) -> None:
    documents = [write(f"in/{i}.xml", order(("S", str(i)))) for i in range(5)]

    for document in documents:
        assert checker.check(document, order_xsd) == []

    assert checker.compile_count == 1


def test_schema_cache_keyed_by_resolved_path(
    checker: XmlChecker, write: WriteFile, order_xsd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = write("in/a.xml", order(("S", "1")))
    monkeypatch.chdir(order_xsd.parent)

    spellings = [order_xsd, Path("order.xsd"), Path("../schemas/./order.xsd")]

    results = [checker.check(document, xsd) for xsd in spellings]

    assert results == [[], [], []]
    assert checker.compile_count == 1


def test_import_resolved_relative_to_xsd(checker: XmlChecker, write: WriteFile) -> None:
    write("schemas/common/types.xsd", TYPES_XSD)
    xsd = write("schemas/orders/total.xsd", importing_xsd("../common/types.xsd"))
    document = write("in/total.xml", TOTAL.format("12.345"))

    [diagnostic] = checker.check(document, xsd)

    assert diagnostic.location.line == 2
    assert diagnostic.message == (
        "Element 'Total': [facet 'fractionDigits'] The value '12.345' has more "
        "fractional digits than are allowed ('2')."
    )


def test_include_chain_resolved_at_each_level(checker: XmlChecker, write: WriteFile) -> None:
    write("x/a/b/money.xsd", TYPES_XSD)
    write(
        "x/a/middle.xsd",
        TYPES_XSD.replace(
            '  <xs:simpleType name="Money">',
            '  <xs:include schemaLocation="b/money.xsd"/>\n  <xs:simpleType name="Unused">',
        ),
    )
    xsd = write("x/top.xsd", importing_xsd("a/middle.xsd"))

    assert checker.check(write("in/ok.xml", TOTAL.format("1.25")), xsd) == []
    assert checker.check(write("in/bad.xml", TOTAL.format("1.255")), xsd) != []


def test_import_independent_of_working_folder(
    checker: XmlChecker, write: WriteFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write("schemas/common/types.xsd", TYPES_XSD)
    xsd = write("schemas/orders/total.xsd", importing_xsd("../common/types.xsd"))
    document = write("in/total.xml", TOTAL.format("2.50"))
    monkeypatch.chdir(tmp_path / "in")

    assert checker.check(document, xsd) == []


@pytest.mark.parametrize(
    "schema_location",
    [
        pytest.param("https://example.org/types.xsd", id="https"),
        pytest.param("ftp://example.org/types.xsd", id="ftp"),
        pytest.param("data:text/xml,%3Cx/%3E", id="data"),
    ],
)
def test_url_schema_location_rejected(
    checker: XmlChecker, write: WriteFile, schema_location: str
) -> None:
    xsd = write("schemas/total.xsd", importing_xsd(schema_location))

    with pytest.raises(SpecError) as raised:
        checker.schema(xsd)

    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location.file == str(xsd)
    assert diagnostic.location.line == 5
    assert "only from local files" in diagnostic.message


def test_http_schema_location_never_fetched(
    checker: XmlChecker, write: WriteFile, listener: Listener
) -> None:
    xsd = write("schemas/total.xsd", importing_xsd(listener.url("types.xsd")))

    with pytest.raises(SpecError):
        checker.schema(xsd)

    assert listener.connections == 0


def test_missing_import_located(checker: XmlChecker, write: WriteFile) -> None:
    xsd = write("schemas/total.xsd", importing_xsd("common/absent.xsd"))

    with pytest.raises(SpecError) as raised:
        checker.schema(xsd)

    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location.line == 5
    assert "'common/absent.xsd' cannot be read" in diagnostic.message


def test_broken_xsd_reported_once_in_xsd(checker: XmlChecker, write: WriteFile) -> None:
    xsd = write("schemas/broken.xsd", ORDER_XSD.replace('type="xs:decimal"', 'type="xs:money"'))
    documents = [write(f"in/{i}.xml", order(("S", "1"))) for i in range(3)]

    results = [checker.check(document, xsd) for document in documents]

    [diagnostic] = results[0]
    assert diagnostic.location.file == str(xsd)
    assert diagnostic.location.line == 13
    assert "xs:money" in diagnostic.message
    assert results[1:] == [[], []]
    assert checker.compile_count == 1


def test_broken_xsd_still_checks_well_formedness(checker: XmlChecker, write: WriteFile) -> None:
    xsd = write("schemas/broken.xsd", "<xs:schema")
    checker.check(write("in/first.xml", "<a/>"), xsd)

    [diagnostic] = checker.check(write("in/second.xml", "<a>"), xsd)

    assert diagnostic.location.file.endswith("second.xml")


def test_error_in_imported_xsd_located_there(
    checker: XmlChecker, write: WriteFile, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    write("schemas/common/types.xsd", TYPES_XSD.replace("xs:decimal", "xs:nothing"))
    xsd = write("schemas/total.xsd", importing_xsd("common/types.xsd"))

    with pytest.raises(SpecError) as raised:
        checker.schema(xsd)

    files = {d.location.file for d in raised.value.diagnostics}
    assert os.path.join("schemas", "common", "types.xsd") in files


def test_missing_xsd_file_raises_spec_error(checker: XmlChecker, tmp_path: Path) -> None:
    with pytest.raises(SpecError) as raised:
        checker.schema(tmp_path / "absent.xsd")

    assert "cannot read file" in raised.value.diagnostics[0].message


def test_compile_schema_bytes_resolves_against_base_path(write: WriteFile) -> None:
    write("schemas/common/types.xsd", TYPES_XSD)
    base = write("schemas/orders/placeholder.xsd", "")
    schema = compile_schema_bytes(
        importing_xsd("../common/types.xsd").encode(), name="dataset XSD", base_path=base
    )

    diagnostics = XmlChecker().check_bytes(TOTAL.format("x").encode(), schema)

    assert len(diagnostics) == 1


def test_compile_schema_bytes_without_base_path(order_xsd: Path) -> None:
    schema = compile_schema_bytes(order_xsd.read_bytes(), name="dataset XSD")

    assert XmlChecker().check_bytes(order(("S", "1")).encode(), schema) == []


def test_compile_schema_bytes_error_names_xsd() -> None:
    with pytest.raises(SpecError) as raised:
        compile_schema_bytes(
            b"<xs:schema xmlns:xs='http://www.w3.org/2001/XMLSchema'>"
            b"<xs:element name='A' type='nope'/></xs:schema>",
            name="dataset XSD",
        )

    assert raised.value.diagnostics[0].location.file == "dataset XSD"


def test_not_a_schema_rejected(write: WriteFile) -> None:
    xsd = write("schemas/plain.xsd", "<root/>")

    with pytest.raises(SpecError) as raised:
        compile_schema_file(xsd)

    assert raised.value.diagnostics[0].location.file == str(xsd)


@pytest.mark.parametrize("folder", ["with space", "nön-ascii"])
def test_percent_encoded_location_resolved(
    checker: XmlChecker, write: WriteFile, folder: str
) -> None:
    write(f"schemas/{folder}/types.xsd", TYPES_XSD)
    encoded = quote(f"{folder}/types.xsd")
    xsd = write("schemas/total.xsd", importing_xsd(encoded))

    assert checker.check_bytes(TOTAL.format("1.50").encode(), xsd) == []


@pytest.mark.parametrize("folder", ["with space", "nön-ascii"])
def test_unescaped_location_rejected_with_fix(
    checker: XmlChecker, write: WriteFile, folder: str
) -> None:
    write(f"schemas/{folder}/types.xsd", TYPES_XSD)
    xsd = write("schemas/total.xsd", importing_xsd(f"{folder}/types.xsd"))

    with pytest.raises(SpecError) as raised:
        checker.schema(xsd)

    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location.line == 5
    assert "not a valid URI" in diagnostic.message
    assert diagnostic.hint is not None
    assert quote(f"{folder}/types.xsd") in diagnostic.hint


def test_xml_that_is_no_xsd_named(checker: XmlChecker, write: WriteFile) -> None:
    xsd = write("schemas/order.xsd", "<?xml version='1.0'?>\n<order>\n  <line/>\n</order>\n")

    with pytest.raises(SpecError) as raised:
        checker.schema(xsd)

    [diagnostic] = raised.value.diagnostics
    assert diagnostic.location.line == 2
    assert diagnostic.message == "not an XSD: the root element is 'order', not xs:schema"
    assert diagnostic.hint == "give the path of an XSD file: its root element is xs:schema"
