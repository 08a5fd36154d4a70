"""Generate the XML validation benchmark's inputs: one XSD, N orders of about 20 KB, a job file.

Usage: python benchmarks/bench_xml_generate.py FOLDER [COUNT]

The XSD uses namespaces, named complex and simple types, enumerations,
patterns, decimal facets, dates, required attributes and a key with a
keyref, so validation does more than check element names.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

NAMESPACE = "urn:example:bench:order"
LINES_PER_ORDER = 70  # about 20 KB per file

XSD = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:o="{NAMESPACE}" targetNamespace="{NAMESPACE}"
           elementFormDefault="qualified">
  <xs:simpleType name="Sku">
    <xs:restriction base="xs:string"><xs:pattern value="[A-Z]{{3}}-[0-9]{{5}}"/></xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Currency">
    <xs:restriction base="xs:string">
      <xs:enumeration value="EUR"/><xs:enumeration value="USD"/><xs:enumeration value="GBP"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Money">
    <xs:restriction base="xs:decimal">
      <xs:fractionDigits value="2"/><xs:minInclusive value="0"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:simpleType name="Quantity">
    <xs:restriction base="xs:decimal">
      <xs:fractionDigits value="3"/><xs:minExclusive value="0"/>
    </xs:restriction>
  </xs:simpleType>
  <xs:complexType name="Amount">
    <xs:simpleContent>
      <xs:extension base="o:Money">
        <xs:attribute name="currency" type="o:Currency" use="required"/>
      </xs:extension>
    </xs:simpleContent>
  </xs:complexType>
  <xs:complexType name="Address">
    <xs:sequence>
      <xs:element name="Street" type="xs:string"/>
      <xs:element name="City" type="xs:string"/>
      <xs:element name="PostCode" type="xs:token"/>
      <xs:element name="Country">
        <xs:simpleType>
          <xs:restriction base="xs:string"><xs:pattern value="[A-Z]{{2}}"/></xs:restriction>
        </xs:simpleType>
      </xs:element>
    </xs:sequence>
  </xs:complexType>
  <xs:complexType name="Party">
    <xs:sequence>
      <xs:element name="Name" type="xs:string"/>
      <xs:element name="VatId" type="xs:string" minOccurs="0"/>
      <xs:element name="Address" type="o:Address"/>
    </xs:sequence>
    <xs:attribute name="id" type="xs:ID" use="required"/>
  </xs:complexType>
  <xs:complexType name="Line">
    <xs:sequence>
      <xs:element name="Sku" type="o:Sku"/>
      <xs:element name="Description" type="xs:string"/>
      <xs:element name="Quantity" type="o:Quantity"/>
      <xs:element name="UnitPrice" type="o:Amount"/>
      <xs:element name="Total" type="o:Amount"/>
      <xs:element name="Delivery" type="xs:date" minOccurs="0"/>
    </xs:sequence>
    <xs:attribute name="number" type="xs:positiveInteger" use="required"/>
  </xs:complexType>
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:string"/>
        <xs:element name="Issued" type="xs:dateTime"/>
        <xs:element name="Seller" type="o:Party"/>
        <xs:element name="Buyer" type="o:Party"/>
        <xs:element name="Line" type="o:Line" maxOccurs="unbounded"/>
        <xs:element name="GrandTotal" type="o:Amount"/>
      </xs:sequence>
    </xs:complexType>
    <xs:key name="lineNumber">
      <xs:selector xpath="o:Line"/><xs:field xpath="@number"/>
    </xs:key>
  </xs:element>
</xs:schema>
"""


def party(tag: str, ident: str, rng: random.Random) -> str:
    return (
        f'  <{tag} id="{ident}">\n'
        f"    <Name>{ident.title()} Trading {rng.randint(1, 999)} Ltd</Name>\n"
        f"    <VatId>DE{rng.randint(100000000, 999999999)}</VatId>\n"
        "    <Address>\n"
        f"      <Street>{rng.randint(1, 200)} Example Street</Street>\n"
        "      <City>Springfield</City>\n"
        f"      <PostCode>{rng.randint(10000, 99999)}</PostCode>\n"
        "      <Country>DE</Country>\n"
        "    </Address>\n"
        f"  </{tag}>\n"
    )


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def order_line(number: int, order_number: int, rng: random.Random) -> tuple[str, int]:
    """Return one ``<Line>`` element and its total in cents."""
    quantity = rng.randint(1, 40)
    unit_cents = rng.randint(100, 99999)
    total_cents = quantity * unit_cents
    element = (
        f'  <Line number="{number}">\n'
        f"    <Sku>ABC-{rng.randint(10000, 99999)}</Sku>\n"
        f"    <Description>Part {number} of order {order_number}, standard</Description>\n"
        f"    <Quantity>{quantity}.000</Quantity>\n"
        f'    <UnitPrice currency="EUR">{money(unit_cents)}</UnitPrice>\n'
        f'    <Total currency="EUR">{money(total_cents)}</Total>\n'
        f"    <Delivery>2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}</Delivery>\n"
        "  </Line>\n"
    )
    return element, total_cents


def order(number: int, rng: random.Random) -> str:
    lines = [order_line(line, number, rng) for line in range(1, LINES_PER_ORDER + 1)]
    grand_total = sum(total for _, total in lines)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Order xmlns="{NAMESPACE}">\n'
        f"  <Id>ORD-{number:06d}</Id>\n"
        "  <Issued>2026-01-15T09:30:00Z</Issued>\n"
        + party("Seller", "seller", rng)
        + party("Buyer", "buyer", rng)
        + "".join(element for element, _ in lines)
        + f'  <GrandTotal currency="EUR">{money(grand_total)}</GrandTotal>\n'
        "</Order>\n"
    )


JOB_FILE = """\
version: 1
name: xml-benchmark
server:
  base_url: http://127.0.0.1:9
flows:
  - name: orders
    flow: 00000000-0000-0000-0000-000000000000
    input:
      xml: orders/*.xml
      schema: order.xsd
"""


def generate(folder: Path, count: int) -> None:
    """Write ``order.xsd``, ``orders/order-NNNN.xml`` and ``job.yaml`` into ``folder``."""
    rng = random.Random(20260115)  # fixed seed: every run measures the same bytes
    orders = folder / "orders"
    orders.mkdir(parents=True, exist_ok=True)
    (folder / "order.xsd").write_text(XSD, encoding="utf-8")
    (folder / "job.yaml").write_text(JOB_FILE, encoding="utf-8")
    for number in range(count):
        (orders / f"order-{number:04d}.xml").write_text(order(number, rng), encoding="utf-8")


if __name__ == "__main__":
    generate(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1000)
