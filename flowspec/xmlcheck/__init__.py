"""Safe XML parsing and XSD validation, with compiled schemas cached.

Public names:

``XmlChecker``
    ``check(xml_path, xsd_path)`` and ``check_bytes(data, schema, name=...)``
    return a list of ``Diagnostic`` (empty when the document is valid).
    ``check_many(pairs)`` checks many files, in forked worker processes when
    there are enough files and idle cores to pay off.
    ``schema(xsd_path)`` compiles an XSD once per resolved path and raises
    ``SpecError`` when it is broken, and ``compile_count`` counts compilations.
    ``check`` reports a broken XSD once, located in the XSD files, not once
    per XML file.
``Schema``
    A compiled XSD. ``compile_schema_file(path)`` and
    ``compile_schema_bytes(data, name=..., base_path=...)`` build one outside
    any cache, and raise ``SpecError`` for a broken XSD.
``MAX_ERRORS_PER_FILE``
    The default number of errors reported per document. A note counts the rest.

Safety: nothing is loaded over the network, and no DTD is loaded. XML
documents must not declare entities: a DOCTYPE with entity declarations is
rejected before any expansion, because entities can expand without bound
(billion laughs) or read local files (XXE). XSD files may declare internal
entities, as published schemas do, but not external ones.

``xs:include``, ``xs:import``, ``xs:redefine`` and ``xs:override`` resolve
only to existing local files, relative to the XSD that names them. A
``schemaLocation`` with a URL scheme other than ``file`` is rejected and
never fetched. lxml exceptions never leave this package, because they
become ``Diagnostic`` records or a ``SpecError``.
"""

from flowspec.xmlcheck._checker import MAX_ERRORS_PER_FILE, XmlChecker
from flowspec.xmlcheck._schema import Schema, compile_schema_bytes, compile_schema_file

__all__ = [
    "MAX_ERRORS_PER_FILE",
    "Schema",
    "XmlChecker",
    "compile_schema_bytes",
    "compile_schema_file",
]
