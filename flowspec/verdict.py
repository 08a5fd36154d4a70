"""Judging a finished execution against an entry's ``expect``."""

from __future__ import annotations

from flowspec.results import Verdict
from flowspec.spec.model import Expect


def judge(status: str, document_count: int, expect: Expect) -> tuple[Verdict, str | None]:
    """Return the verdict for a terminal ``status`` and its reason, ``None`` when it passed."""
    if status not in expect.status:
        expected = " or ".join(expect.status)
        return Verdict.FAILED, f"ended with status {status}, expected {expected}"

    if expect.documents is not None and document_count != expect.documents:
        noun = "document" if expect.documents == 1 else "documents"
        return (
            Verdict.FAILED,
            f"produced {document_count} {'document' if document_count == 1 else 'documents'}, "
            f"expected {expect.documents} {noun}",
        )
    return Verdict.PASSED, None
