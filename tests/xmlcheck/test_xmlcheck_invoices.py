"""Real-world schemas: Factur-X / CII invoices built with drafthorse, and UBL 2.1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
import pytest
from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.tradelines import LineItem

from flowspec.xmlcheck import XmlChecker

XSD_FOLDER = Path(facturx.__file__).parent / "xsd_and_schematron"
PROFILES = {
    "basic": XSD_FOLDER / "facturx-basic" / "Factur-X_BASIC.xsd",
    "en16931": XSD_FOLDER / "facturx-en16931" / "Factur-X_EN16931.xsd",
}


def build_invoice() -> bytes:
    """Build a one-line EN 16931 invoice with drafthorse, one element per line."""
    document = Document()
    document.context.guideline_parameter.id = "urn:cen.eu:en16931:2017"
    document.header.id = "INV-2026-0001"
    document.header.type_code = "380"
    document.header.issue_date_time = date(2026, 1, 15)
    document.trade.agreement.seller.name = "Seller GmbH"
    document.trade.agreement.seller.address.country_id = "DE"
    document.trade.agreement.buyer.name = "Buyer AG"
    document.trade.settlement.currency_code = "EUR"

    line = LineItem()
    line.document.line_id = "1"
    line.product.name = "Widget"
    line.agreement.net.amount = Decimal("10.00")
    line.delivery.billed_quantity = (Decimal("2.0000"), "H87")
    line.settlement.trade_tax.type_code = "VAT"
    line.settlement.trade_tax.category_code = "S"
    line.settlement.trade_tax.rate_applicable_percent = Decimal("19.00")
    line.settlement.monetary_summation.total_amount = Decimal("20.00")
    document.trade.items.add(line)

    tax = ApplicableTradeTax()
    tax.calculated_amount = Decimal("3.80")
    tax.basis_amount = Decimal("20.00")
    tax.type_code = "VAT"
    tax.category_code = "S"
    tax.rate_applicable_percent = Decimal("19.00")
    document.trade.settlement.trade_tax.add(tax)

    totals = document.trade.settlement.monetary_summation
    totals.line_total = Decimal("20.00")
    totals.tax_basis_total = Decimal("20.00")
    totals.tax_total = (Decimal("3.80"), "EUR")
    totals.grand_total = Decimal("23.80")
    totals.due_amount = Decimal("23.80")
    # drafthorse validates against its own copy of the XSDs; these tests use factur-x's.
    xml: bytes = document.serialize(schema=None)
    return xml


@pytest.fixture(scope="module")
def invoice() -> str:
    return build_invoice().decode("utf-8")


def line_of(text: str, fragment: str) -> int:
    [number] = [i for i, line in enumerate(text.splitlines(), start=1) if fragment in line]
    return number


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_drafthorse_invoice_valid(tmp_path: Path, invoice: str, profile: str) -> None:
    path = tmp_path / "invoice.xml"
    path.write_text(invoice, encoding="utf-8")

    assert XmlChecker().check(path, PROFILES[profile]) == []


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_invalid_amount_located(tmp_path: Path, invoice: str, profile: str) -> None:
    broken = invoice.replace(
        "<ram:LineTotalAmount>20.00</ram:LineTotalAmount>",
        "<ram:LineTotalAmount>20,00</ram:LineTotalAmount>",
        1,
    )
    path = tmp_path / "invoice.xml"
    path.write_text(broken, encoding="utf-8")

    [diagnostic] = XmlChecker().check(path, PROFILES[profile])

    assert diagnostic.location.line == line_of(broken, "20,00")
    assert (
        diagnostic.location.column
        == broken.splitlines()[diagnostic.location.line - 1].index("<") + 1
    )
    assert diagnostic.message == (
        "Element 'ram:LineTotalAmount': '20,00' is not a valid value of the atomic type "
        "'xs:decimal'."
    )


def test_missing_required_element_located(tmp_path: Path, invoice: str) -> None:
    broken = invoice.replace("<ram:TypeCode>380</ram:TypeCode>", "", 1)
    path = tmp_path / "invoice.xml"
    path.write_text(broken, encoding="utf-8")

    [diagnostic] = XmlChecker().check(path, PROFILES["en16931"])

    assert diagnostic.location.line == line_of(broken, "<ram:IssueDateTime>")
    assert "'ram:IssueDateTime': This element is not expected" in diagnostic.message
    assert "ram:TypeCode" in diagnostic.message


def test_profiles_compiled_once_each(tmp_path: Path, invoice: str) -> None:
    checker = XmlChecker()
    paths = []
    for number in range(4):
        path = tmp_path / f"invoice-{number}.xml"
        path.write_text(invoice.replace("INV-2026-0001", f"INV-{number}"), encoding="utf-8")
        paths.append(path)

    for path in paths:
        for profile in PROFILES.values():
            assert checker.check(path, profile) == []

    assert checker.compile_count == len(PROFILES)


def test_ubl_schema_with_parent_folder_imports_compiles() -> None:
    # UBL 2.1 imports ../common/*.xsd, and its XML Signature schema declares entities.
    xsd = XSD_FOLDER / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd"
    ubl_invoice = (
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"\n'
        b' xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">\n'
        b"  <cbc:ID>INV-1</cbc:ID>\n"
        b"  <cbc:IssueDate>2026-13-45</cbc:IssueDate>\n"
        b"</Invoice>\n"
    )

    diagnostics = XmlChecker().check_bytes(ubl_invoice, xsd, name="ubl.xml")

    assert diagnostics[0].location.line == 4
    assert "'2026-13-45'" in diagnostics[0].message
