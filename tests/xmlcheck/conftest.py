from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from flowspec.xmlcheck import XmlChecker

ORDER_XSD = """\
<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:o="urn:example:order" targetNamespace="urn:example:order"
           elementFormDefault="qualified">
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:string"/>
        <xs:element name="Line" maxOccurs="unbounded">
          <xs:complexType>
            <xs:sequence>
              <xs:element name="Sku" type="xs:string"/>
              <xs:element name="Amount" type="xs:decimal"/>
            </xs:sequence>
          </xs:complexType>
        </xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""

WriteFile = Callable[[str, "str | bytes"], Path]


@pytest.fixture
def write(tmp_path: Path) -> WriteFile:
    """Write a file under ``tmp_path``, creating folders, and return its path."""

    def write_file(relative: str, content: str | bytes) -> Path:
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    return write_file


@pytest.fixture
def checker() -> XmlChecker:
    return XmlChecker()


@pytest.fixture
def order_xsd(write: WriteFile) -> Path:
    return write("schemas/order.xsd", ORDER_XSD)


def order(*lines: tuple[str, str]) -> str:
    """Build an order document: one ``<Line>`` per (sku, amount), one element per line."""
    body = "".join(
        f"  <Line>\n    <Sku>{sku}</Sku>\n    <Amount>{amount}</Amount>\n  </Line>\n"
        for sku, amount in lines
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Order xmlns="urn:example:order">\n'
        "  <Id>A-1</Id>\n"
        f"{body}"
        "</Order>\n"
    )


class Listener:
    """A loopback TCP socket that counts connections, to prove nothing was fetched."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.05)
        self.port: int = self._socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._socket.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()
