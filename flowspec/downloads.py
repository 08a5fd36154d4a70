"""Saving the documents of an execution under the output folder, named by ``save``.

An entry with ``download: false`` saves nothing: its documents are still
counted and their metadata recorded, without a size, digest or path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flowspec.client import DocumentPayload, DownloadedDocument
from flowspec.documents import (
    FoundDocument,
    PathClaims,
    UnsafePathError,
    extension_for,
    find_documents,
    render_save_path,
)
from flowspec.errors import AuthenticationFailed, FlowspecError, ServerUnreachable
from flowspec.plan import Run
from flowspec.results import DocumentResult


class DocumentSource(Protocol):
    """The client calls that read a document's metadata and save its content to a file."""

    async def get_document(self, document_id: str) -> DocumentPayload: ...

    async def download_document(
        self, document_id: str, destination: Path
    ) -> DownloadedDocument: ...


class DownloadFailed(Exception):
    """A document could not be named, downloaded or renamed; the message is the run's reason."""


@dataclass(frozen=True)
class DocumentSaver:
    """Downloads the documents of one run's execution; shares ``claims`` with the whole suite."""

    client: DocumentSource
    output_dir: Path
    claims: PathClaims

    async def save_all(self, run: Run, execution_id: str, model: Any) -> tuple[DocumentResult, ...]:
        """Download every document in ``model``, one after another, in the order found.

        Raises ``DownloadFailed`` for the first document that fails, and lets
        ``AuthenticationFailed`` and ``ServerUnreachable`` through for the suite to stop.
        """
        results = []
        for document in find_documents(model):
            if run.entry.download:
                results.append(await self._save(run, execution_id, document))
            else:
                results.append(await self._describe(document))
        return tuple(results)

    async def _describe(self, document: FoundDocument) -> DocumentResult:
        try:
            metadata = await self.client.get_document(document.id)
        except (AuthenticationFailed, ServerUnreachable):
            raise
        except FlowspecError as exc:
            reason = f"reading metadata of document {document.id} ({document.name}) failed: {exc}"
            raise DownloadFailed(reason) from exc

        content_type = metadata.get("contentType")
        return DocumentResult(
            id=document.id,
            name=document.name,
            content_type=content_type if isinstance(content_type, str) else None,
            size=None,
            sha256=None,
            path=None,
        )

    async def _save(self, run: Run, execution_id: str, document: FoundDocument) -> DocumentResult:
        fields = {
            "run": run.name,
            "job": run.job.path.stem,
            "entry": run.entry.name,
            "input": run.input_label or "",
            "document": document.name or document.id,
            "document_id": document.id,
            "execution": execution_id,
        }
        try:
            path = render_save_path(self.output_dir, run.entry.save, fields)
        except UnsafePathError as exc:
            raise DownloadFailed(str(exc)) from exc

        path = self.claims.claim(path)
        try:
            downloaded = await self.client.download_document(document.id, path)
        except (AuthenticationFailed, ServerUnreachable):
            raise
        except FlowspecError as exc:
            reason = f"downloading document {document.id} ({document.name}) failed: {exc}"
            raise DownloadFailed(reason) from exc

        path = self._add_extension(path, downloaded.content_type)
        return DocumentResult(
            id=document.id,
            name=document.name,
            content_type=downloaded.content_type,
            size=downloaded.size,
            sha256=downloaded.sha256,
            path=path.relative_to(self.output_dir.resolve()),
        )

    def _add_extension(self, path: Path, content_type: str | None) -> Path:
        """Rename a saved document without an extension after its content type."""
        extension = extension_for(content_type)
        if path.suffix or not extension:
            return path

        target = self.claims.claim(path.with_name(path.name + extension))
        try:
            os.replace(path, target)
        except OSError as exc:
            raise DownloadFailed(
                f"cannot rename {path} to {target.name}: {exc.strerror or exc}"
            ) from exc
        self.claims.release(path)
        return target
