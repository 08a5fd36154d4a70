"""Document bytes of the declared media type, built from an execution's input.

The content lists the flow, the document name, the input values (leaf elements
of the XML input, or the plug-in record ids) and the submitted form values.
Executions with different input therefore produce different bytes, and the
same input always produces the same bytes.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

PDF = "application/pdf"
TEXT = "text/plain"
XML = "application/xml"
JSON = "application/json"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

FILE_EXTENSIONS = {PDF: ".pdf", TEXT: ".txt", XML: ".xml", JSON: ".json", DOCX: ".docx"}

Lines = Sequence[tuple[str, str]]


def render(content_type: str, title: str, lines: Lines) -> bytes:
    """Return a document of ``content_type`` showing ``title`` and the (label, value) ``lines``."""
    return _RENDERERS[content_type](title, lines)


def _text(title: str, lines: Lines) -> bytes:
    body = "\n".join(f"{label}: {value}" for label, value in lines)
    return f"{title}\n\n{body}\n".encode()


def _json(title: str, lines: Lines) -> bytes:
    payload = {"title": title, "values": [{"label": k, "value": v} for k, v in lines]}
    return json.dumps(payload, indent=2, ensure_ascii=False).encode()


def _xml(title: str, lines: Lines) -> bytes:
    items = "".join(f"  <value label={quoteattr(k)}>{escape(v)}</value>\n" for k, v in lines)
    header = '<?xml version="1.0" encoding="UTF-8"?>\n'
    return f"{header}<document title={quoteattr(title)}>\n{items}</document>\n".encode()


def _pdf_string(text: str) -> str:
    # PDF literal strings in the standard fonts are Latin-1; other characters become '?'.
    latin = text.encode("latin-1", "replace").decode("latin-1")
    return "(" + latin.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ")"


def _pdf(title: str, lines: Lines) -> bytes:
    """Build a one-page PDF 1.4 with a correct cross-reference table."""
    rows = [f"{label}: {value}" for label, value in lines]
    text_ops = ["BT", "/F1 16 Tf", "72 760 Td", f"{_pdf_string(title)} Tj", "/F1 11 Tf", "0 -28 Td"]
    for row in rows[:50]:
        text_ops += [f"{_pdf_string(row)} Tj", "0 -14 Td"]
    text_ops.append("ET")
    stream = "\n".join(text_ops).encode("latin-1")

    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"

    xref_at = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref_at,
    )
    return bytes(out)


_DOCX_CONTENT_TYPES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="{DOCX}.main+xml"/>
</Types>"""

_DOCX_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="word/document.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""


def _docx(title: str, lines: Lines) -> bytes:
    paragraphs = [title] + [f"{label}: {value}" for label, value in lines]
    body = "".join(f"<w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p>" for text in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    # A fixed timestamp keeps the bytes the same for the same input.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in (
            ("[Content_Types].xml", _DOCX_CONTENT_TYPES),
            ("_rels/.rels", _DOCX_RELS),
            ("word/document.xml", document),
        ):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return buffer.getvalue()


_RENDERERS: dict[str, Callable[[str, Lines], bytes]] = {
    PDF: _pdf,
    TEXT: _text,
    XML: _xml,
    JSON: _json,
    DOCX: _docx,
}
