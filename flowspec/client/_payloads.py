"""Shapes of the JSON the Smart Flows API returns, and the client's own result records.

Only the keys flowspec reads are declared; servers send more, and those stay in
the dictionaries untouched. Keys the API reference marks as always present are
required, the rest are optional.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypedDict


class NamedRef(TypedDict):
    """A reference to another object: its id and display name."""

    id: str
    displayName: str


class _FlowInputRequired(TypedDict):
    type: str


class FlowInput(_FlowInputRequired, total=False):
    """A flow's input definition: ``type`` is ``none``, ``user`` or ``plugin``."""

    dataset: NamedRef


class _FlowRequired(TypedDict):
    id: str
    input: FlowInput


class FlowPayload(_FlowRequired, total=False):
    """``GET /api/v1/flows/{flowId}``."""

    displayName: str
    type: str
    primaryTemplate: NamedRef


class SchemaContent(TypedDict, total=False):
    """The XSD of a schema data set; ``schemaContent`` is base64."""

    schemaContent: str
    schemaType: str
    wrapperElementName: str
    primaryEntity: str


class DatasetContent(TypedDict, total=False):
    """A data set's content: ``type`` is ``schema`` for XSD data sets."""

    type: str
    schemaContent: SchemaContent


class _DatasetRequired(TypedDict):
    id: str


class DatasetPayload(_DatasetRequired, total=False):
    """``GET /api/v1/datasets/{datasetId}``."""

    displayName: str
    content: DatasetContent


class _ProgressRequired(TypedDict):
    id: str
    status: str


class ProgressPayload(_ProgressRequired, total=False):
    """An execution's progress: the response to a start, a poll or a form submission.

    In ``UserInput``, ``schema``, ``form`` and ``model`` describe the form; after
    the end, ``model`` contains the documents (objects whose ``type`` is ``document``).
    """

    percentage: int
    message: str
    currentData: NamedRef
    schema: dict[str, Any]
    model: dict[str, Any]
    form: list[Any]


class _ExecutionRequired(TypedDict):
    id: str
    status: str


class ExecutionPayload(_ExecutionRequired, total=False):
    """``GET /api/v1/flows/executions/{id}``: the execution with its state, for debugging."""

    createdAt: str
    createdBy: Any
    flow: NamedRef
    state: dict[str, Any]


class _DocumentRequired(TypedDict):
    id: str


class DocumentPayload(_DocumentRequired, total=False):
    """``GET /api/v1/documents/{documentId}``: a document's metadata."""

    displayName: str
    contentType: str
    createdAt: str
    expiration: str


@dataclass(frozen=True)
class StartResult:
    """The first progress of a new execution, and how many HTTP attempts the start took."""

    progress: ProgressPayload
    attempts: int


@dataclass(frozen=True)
class DownloadedDocument:
    """A document's content saved to ``path``: its size in bytes and SHA-256 (hex)."""

    path: Path
    size: int
    sha256: str
    content_type: str | None
