"""Project dicts and input files shared by the emulator tests."""

from __future__ import annotations

import copy
from typing import Any

INVOICE_XSD = """<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:element name="Invoice">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Number" type="xs:string"/>
        <xs:element name="Customer" type="xs:string"/>
        <xs:element name="Amount" type="xs:decimal"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

INVOICE_XML = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b"<Invoice><Number>INV-1</Number><Customer>ACME</Customer><Amount>12.50</Amount></Invoice>"
)
OTHER_INVOICE_XML = INVOICE_XML.replace(b"INV-1", b"INV-2")
XML_HEADERS = {"Content-Type": 'application/xml; charset="utf-8"'}

FORM_FIELDS = [
    {"key": "ea75_1cd7", "title": "Customer name", "default": "ACME", "required": True},
    {"key": "f00d_0001", "title": "Start date", "type": "date", "default": "2027-01-01"},
    {"key": "f00d_0002", "title": "Seats", "type": "integer", "default": 3},
]

PLUGIN_BODY = {"id": ["A-1", "A-2"], "entity": "account", "userId": "u-17"}


def demo_project(**overrides: Any) -> dict[str, Any]:
    """Return a project with one flow of each kind, durations of 100 ms or less."""
    project: dict[str, Any] = {
        "name": "demo",
        "users": [
            {
                "username": "alice",
                "password": "wonderland",
                "api_keys": ["alice-key-0001"],
                "admin": True,
            },
            {
                "username": "bob",
                "password": "builder-pw",
                "api_keys": ["bob-key-00001"],
                "flows": ["letter"],
            },
        ],
        "datasets": [
            {
                "id": "invoice-data",
                "display_name": "Invoice data",
                "schema": "invoice.xsd",
                "wrapper_element_name": "Invoices",
                "primary_entity": "Invoice",
            }
        ],
        "plugin_datasets": [
            {"id": "crm-accounts", "display_name": "Accounts", "entity": "account"}
        ],
        "flows": [
            {
                "id": "letter",
                "display_name": "Welcome letter",
                "duration": "100ms",
                "documents": [{"name": "Letter"}],
            },
            {
                "id": "invoice",
                "display_name": "Invoice",
                "input": "user",
                "dataset": "invoice-data",
                "duration": "100ms",
                "steps": ["Read data", "Generate document", "Convert to PDF"],
                "documents": [
                    {"name": "Invoice", "content_type": "application/pdf"},
                    {"name": "Summary", "content_type": "application/json"},
                    {"name": "Data", "content_type": "application/xml"},
                    {"name": "Note", "content_type": "text/plain"},
                ],
                "outputs": {"archiveUrl": "https://archive.example/inv"},
            },
            {
                "id": "account",
                "display_name": "Account pack",
                "input": "plugin",
                "dataset": "crm-accounts",
                "duration": "50ms",
                "documents": [
                    {
                        "name": "Pack",
                        "content_type": "application/vnd.openxmlformats-officedocument"
                        ".wordprocessingml.document",
                    }
                ],
            },
            {
                "id": "form",
                "display_name": "Onboarding form",
                "duration": "100ms",
                "user_input": {"title": "Customer", "fields": FORM_FIELDS},
                "documents": [{"name": "Offer", "content_type": "text/plain"}],
            },
            {
                "id": "signing",
                "display_name": "Contract signing",
                "duration": "100ms",
                "waiting": {"at": 50, "message": "Waiting for signatures"},
                "documents": [{"name": "Contract"}],
            },
        ],
    }
    project.update(overrides)
    return copy.deepcopy(project)


def files() -> dict[str, str]:
    """Return the files ``demo_project`` refers to."""
    return {"invoice.xsd": INVOICE_XSD}
