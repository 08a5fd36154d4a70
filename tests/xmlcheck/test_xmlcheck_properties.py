"""Whatever bytes arrive, checking returns diagnostics and raises nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ORDER_XSD
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowspec.diagnostics import Diagnostic
from flowspec.xmlcheck import Schema, XmlChecker, compile_schema_bytes

SCHEMA: Schema = compile_schema_bytes(ORDER_XSD.encode(), name="order.xsd")
CHECKER = XmlChecker()

XML_FRAGMENTS = st.sampled_from(
    [
        "<",
        ">",
        "</",
        "/>",
        "<Order xmlns='urn:example:order'>",
        "</Order>",
        "<Id>",
        "</Id>",
        "<Line>",
        "</Line>",
        "<Amount>",
        "</Amount>",
        "<Sku>",
        "</Sku>",
        "&amp;",
        "&x;",
        "&#0;",
        "&#x1F600;",
        "<!DOCTYPE Order [",
        "<!ENTITY x 'y'>",
        "]>",
        "<![CDATA[",
        "]]>",
        "<!--",
        "-->",
        "<?xml version='1.0' encoding='UTF-16'?>",
        "<?pi?>",
        "1.5",
        "abc",
        " ",
        "\n",
        "\u00e9",
        "\x00",
        "\ufeff",
    ]
)


def assert_all_located(diagnostics: list[Diagnostic], name: str) -> None:
    for diagnostic in diagnostics:
        assert isinstance(diagnostic, Diagnostic)
        assert diagnostic.location.file == name
        assert "\n" not in diagnostic.message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_diagnostics(data: bytes) -> None:
    assert_all_located(CHECKER.check_bytes(data, SCHEMA, name="body.xml"), "body.xml")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=2000))
def test_arbitrary_text_gives_diagnostics(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")

    assert_all_located(CHECKER.check_bytes(data, SCHEMA, name="body.xml"), "body.xml")


@settings(max_examples=300, deadline=None)
@given(st.lists(XML_FRAGMENTS, max_size=40).map("".join))
def test_xml_like_text_gives_diagnostics(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")

    assert_all_located(CHECKER.check_bytes(data, SCHEMA, name="body.xml"), "body.xml")


@settings(max_examples=100, deadline=None)
@given(st.lists(XML_FRAGMENTS, max_size=30).map("".join))
def test_xml_like_text_in_utf16_gives_diagnostics(text: str) -> None:
    data = text.encode("utf-16", errors="surrogatepass")

    assert_all_located(CHECKER.check_bytes(data, SCHEMA, name="body.xml"), "body.xml")


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_as_xsd_give_diagnostics(tmp_path: Path, data: bytes) -> None:
    xsd = tmp_path / "fuzzed.xsd"
    xsd.write_bytes(data)
    checker = XmlChecker()

    diagnostics = checker.check_bytes(b"<a/>", None) + checker.check(xsd.with_suffix(".xml"), xsd)

    assert diagnostics
    assert all(isinstance(d, Diagnostic) for d in diagnostics)


@pytest.mark.parametrize("text", ["\ud800", "<a>\udfff</a>"], ids=["lone-surrogate", "in-element"])
def test_surrogate_bytes_give_diagnostics(text: str) -> None:
    data = text.encode("utf-8", errors="surrogatepass")

    assert CHECKER.check_bytes(data, SCHEMA)
