from __future__ import annotations

import pytest

from flowspec.results import Verdict
from flowspec.spec.model import Expect
from flowspec.verdict import judge


@pytest.mark.parametrize(
    ("status", "documents", "expect", "verdict", "reason"),
    [
        pytest.param("Success", 0, Expect(), Verdict.PASSED, None, id="default-success"),
        pytest.param(
            "Warning",
            1,
            Expect(status=("Success", "Warning")),
            Verdict.PASSED,
            None,
            id="warning-allowed",
        ),
        pytest.param(
            "Error",
            0,
            Expect(status=("Success", "Warning")),
            Verdict.FAILED,
            "ended with status Error, expected Success or Warning",
            id="status",
        ),
        pytest.param(
            "Success",
            2,
            Expect(documents=1),
            Verdict.FAILED,
            "produced 2 documents, expected 1 document",
            id="document-count",
        ),
        pytest.param(
            "Success", 3, Expect(documents=3), Verdict.PASSED, None, id="document-count-met"
        ),
    ],
)
def test_judge(
    status: str, documents: int, expect: Expect, verdict: Verdict, reason: str | None
) -> None:
    assert judge(status, documents, expect) == (verdict, reason)
