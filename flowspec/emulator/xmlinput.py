"""Check XML start bodies against a data set's XSD, and read values out of them.

Parsing and validation go through ``flowspec.xmlcheck``, which rejects DTD
entities and never loads anything over the network.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

from flowspec.xmlcheck import Schema, XmlChecker, compile_schema_file

MAX_MESSAGES = 3

_checker = XmlChecker(max_errors=MAX_MESSAGES)


def compile_dataset_schema(path: Path) -> Schema:
    """Compile the XSD at ``path``; raise ``SpecError`` located in the XSD when it is broken."""
    return compile_schema_file(path)


def xml_problems(schema: Schema, document: bytes) -> list[str]:
    """Return the first reasons why ``document`` does not satisfy ``schema``; empty when it does."""
    diagnostics = _checker.check_bytes(document, schema, name="body")
    return [str(diagnostic) for diagnostic in diagnostics]


def leaf_values(document: bytes, limit: int = 12) -> list[tuple[str, str]]:
    """Return up to ``limit`` (element name, text) pairs of the leaf elements of ``document``.

    Call it only on documents that ``xml_problems`` accepted: those declare no
    entities, so the standard library parser is safe on them.
    """
    root = ElementTree.fromstring(document)
    pairs: list[tuple[str, str]] = []
    for element in root.iter():
        text = (element.text or "").strip()
        if len(element) or not text:
            continue
        pairs.append((element.tag.rpartition("}")[2], text))
        if len(pairs) == limit:
            break
    return pairs
