"""Entity bombs, XXE and external DTDs: rejected, never expanded, never fetched."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Listener, WriteFile

from flowspec.diagnostics import Diagnostic
from flowspec.errors import SpecError
from flowspec.xmlcheck import XmlChecker, compile_schema_file

SECRET = "s3cr3t-canary-5f1d0c"


@pytest.fixture
def secret_file(write: WriteFile) -> Path:
    return write("private/secret.txt", f"{SECRET}\n")


def rendered(diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> str:
    return "\n".join(f"{d!s} {d!r}" for d in diagnostics)


def billion_laughs(levels: int = 10) -> bytes:
    declarations = ['<!ENTITY lol0 "lol">']
    for level in range(1, levels):
        declarations.append(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    body = "\n".join(declarations)
    document = (
        f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n{body}\n]>\n<lolz>&lol{levels - 1};</lolz>\n'
    )
    return document.encode()


def quadratic_blowup() -> bytes:
    entity = "x" * 50_000
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE bomb [\n'
        f'<!ENTITY a "{entity}">\n]>\n<bomb>{"&a;" * 50_000}</bomb>\n'
    ).encode()


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(billion_laughs(), id="billion-laughs"),
        pytest.param(quadratic_blowup(), id="quadratic-blowup"),
        pytest.param(billion_laughs().decode().encode("utf-16"), id="billion-laughs-utf16"),
    ],
)
def test_entity_bomb_rejected_at_declaration(checker: XmlChecker, document: bytes) -> None:
    [diagnostic] = checker.check_bytes(document, name="bomb.xml")

    assert diagnostic.location.line == 3
    assert diagnostic.location.column == 1
    assert "the DOCTYPE declares entities" in diagnostic.message
    assert diagnostic.hint is not None


def test_harmless_entity_declaration_rejected(checker: XmlChecker) -> None:
    document = b'<!DOCTYPE a [\n  <!ENTITY co "ACME">\n]>\n<a>&co;</a>'

    [diagnostic] = checker.check_bytes(document)

    assert diagnostic.location.line == 2
    assert diagnostic.location.column == 3
    assert "(co)" in diagnostic.message


DECLARES = "the DOCTYPE declares entities"


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        pytest.param(
            '<!DOCTYPE r [\n<!ENTITY x SYSTEM "{url}">\n]>\n<r>&x;</r>',
            DECLARES,
            id="general-entity",
        ),
        pytest.param(
            '<!DOCTYPE r [\n<!ENTITY x SYSTEM "{url}">\n]>\n<r a="&x;"/>',
            DECLARES,
            id="in-attribute",
        ),
        pytest.param(
            '<!DOCTYPE r [\n<!ENTITY % p SYSTEM "{url}">\n%p;\n]>\n<r/>',
            DECLARES,
            id="parameter",
        ),
        pytest.param(
            '<!DOCTYPE r [\n<!ENTITY x PUBLIC "-//X//Y" "{url}">\n]>\n<r>&x;</r>',
            DECLARES,
            id="public",
        ),
        pytest.param(
            '<!DOCTYPE r SYSTEM "{url}">\n<r>&x;</r>', "entity reference &x;", id="external-dtd"
        ),
    ],
)
def test_xxe_never_reads_local_file(
    checker: XmlChecker, write: WriteFile, secret_file: Path, template: str, expected: str
) -> None:
    document = write("in/xxe.xml", template.format(url=secret_file.as_uri()))

    diagnostics = checker.check(document)

    assert expected in diagnostics[0].message
    assert diagnostics[0].location.line == 2
    assert SECRET not in rendered(diagnostics)


@pytest.mark.parametrize(
    "template",
    [
        pytest.param('<!DOCTYPE r [\n<!ENTITY x SYSTEM "{url}">\n]>\n<r>&x;</r>', id="entity"),
        pytest.param('<!DOCTYPE r [\n<!ENTITY % p SYSTEM "{url}">\n%p;\n]>\n<r/>', id="parameter"),
        pytest.param('<!DOCTYPE r SYSTEM "{url}">\n<r/>', id="external-dtd"),
    ],
)
def test_xxe_never_fetches_url(checker: XmlChecker, listener: Listener, template: str) -> None:
    document = template.format(url=listener.url("evil.dtd")).encode()

    checker.check_bytes(document)

    assert listener.connections == 0


def test_xxe_in_validated_document_rejected(
    checker: XmlChecker, write: WriteFile, order_xsd: Path, secret_file: Path
) -> None:
    document = write(
        "in/xxe.xml",
        f'<!DOCTYPE Order [<!ENTITY x SYSTEM "{secret_file.as_uri()}">]>\n'
        '<Order xmlns="urn:example:order"><Id>&x;</Id></Order>',
    )

    diagnostics = checker.check(document, order_xsd)

    assert "the DOCTYPE declares entities" in diagnostics[0].message
    assert SECRET not in rendered(diagnostics)


def test_external_dtd_reference_left_unexpanded(checker: XmlChecker, listener: Listener) -> None:
    document = f'<!DOCTYPE r SYSTEM "{listener.url("r.dtd")}">\n<r>\n&nbsp;</r>'.encode()

    [diagnostic] = checker.check_bytes(document)

    assert diagnostic.location.line == 3
    assert "&nbsp;" in diagnostic.message


def test_doctype_without_entities_allowed(checker: XmlChecker) -> None:
    assert checker.check_bytes(b"<!DOCTYPE r [<!ELEMENT r (#PCDATA)>]>\n<r>text</r>") == []


XSD_HEAD = '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">'


@pytest.mark.parametrize(
    "doctype",
    [
        pytest.param('<!DOCTYPE xs:schema [<!ENTITY x SYSTEM "{url}">]>', id="system-entity"),
        pytest.param('<!DOCTYPE xs:schema [<!ENTITY % p SYSTEM "{url}"> %p;]>', id="parameter"),
        pytest.param('<!DOCTYPE xs:schema SYSTEM "{url}">', id="external-dtd"),
        pytest.param(
            "<!DOCTYPE xs:schema [<!ENTITY % p \"&#60;!ENTITY x SYSTEM '{url}'>\"> %p;]>",
            id="declared-by-parameter-entity",
        ),
    ],
)
@pytest.mark.parametrize("where", ["main", "imported"])
def test_xsd_external_entities_rejected(
    write: WriteFile, secret_file: Path, doctype: str, where: str
) -> None:
    hostile = (
        doctype.format(url=secret_file.as_uri())
        + f'\n{XSD_HEAD}<xs:element name="a" type="xs:string" fixed="&x;"/></xs:schema>'
    )
    xsd = write("schemas/hostile.xsd", hostile)
    if where == "imported":
        xsd = write(
            "schemas/main.xsd", f'{XSD_HEAD}<xs:include schemaLocation="hostile.xsd"/></xs:schema>'
        )

    with pytest.raises(SpecError) as raised:
        compile_schema_file(xsd)

    assert raised.value.diagnostics[0].location.file.endswith("hostile.xsd")
    assert SECRET not in rendered(raised.value.diagnostics)


def test_xsd_internal_entities_allowed(checker: XmlChecker, write: WriteFile) -> None:
    # The shape of the W3C XML Signature schema, which UBL 2.1 imports.
    xsd = write(
        "schemas/internal.xsd",
        "<!DOCTYPE xs:schema [<!ENTITY ns 'urn:example:sig'>]>\n"
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="&ns;">'
        '<xs:element name="Sig" type="xs:string"/></xs:schema>',
    )

    assert checker.check_bytes(b'<Sig xmlns="urn:example:sig">ok</Sig>', xsd) == []


def test_xsd_entity_bomb_rejected(write: WriteFile) -> None:
    bomb = billion_laughs().decode().split("<lolz>")[0].replace("lolz", "xs:schema")
    xsd = write(
        "schemas/bomb.xsd", bomb + f'{XSD_HEAD}<xs:element name="a" fixed="&lol9;"/></xs:schema>'
    )

    with pytest.raises(SpecError) as raised:
        compile_schema_file(xsd)

    assert raised.value.diagnostics[0].location.file == str(xsd)


def test_xsd_include_of_secret_hides_content(write: WriteFile, secret_file: Path) -> None:
    xsd = write(
        "schemas/main.xsd",
        f'{XSD_HEAD}<xs:include schemaLocation="{secret_file.as_uri()}"/></xs:schema>',
    )

    with pytest.raises(SpecError) as raised:
        compile_schema_file(xsd)

    assert SECRET not in rendered(raised.value.diagnostics)
