"""The Smart Flows HTTP client: authentication, the endpoints flowspec calls, retries.

The engine talks to servers only through ``SmartFlowsClient``. Its methods
raise flowspec's errors (see ``flowspec.errors``), never httpx's.
"""

from flowspec.client._client import USER_AGENT, SmartFlowsClient
from flowspec.client._payloads import (
    DatasetPayload,
    DocumentPayload,
    DownloadedDocument,
    ExecutionPayload,
    FlowInput,
    FlowPayload,
    NamedRef,
    ProgressPayload,
    StartResult,
)
from flowspec.client._retry import RetryPolicy

__all__ = [
    "USER_AGENT",
    "DatasetPayload",
    "DocumentPayload",
    "DownloadedDocument",
    "ExecutionPayload",
    "FlowInput",
    "FlowPayload",
    "NamedRef",
    "ProgressPayload",
    "RetryPolicy",
    "SmartFlowsClient",
    "StartResult",
]
