"""The emulator project: users, data sets and flows a served Smart Flows project contains.

``load_project`` reads the YAML project file, checks it against
``schemas/emulator-project.schema.json`` and then checks what a schema cannot
(references between sections, XSD files that exist and compile). Every problem
becomes a located ``Diagnostic`` and all of them are raised at once as ``SpecError``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from flowspec.diagnostics import Diagnostic
from flowspec.emulator.durations import parse_duration
from flowspec.emulator.faults import FaultSettings, parse_faults
from flowspec.emulator.project_checks import check_references
from flowspec.emulator.project_file import ProjectDocument, read_project_document
from flowspec.emulator.xmlinput import compile_dataset_schema
from flowspec.errors import SpecError
from flowspec.secret import Secret
from flowspec.spec.paths import PathProblem, resolve_file
from flowspec.xmlcheck import Schema

InputType = Literal["none", "user", "plugin"]

DEFAULT_DURATION = 0.2
DEFAULT_TOKEN_LIFETIME = 3600.0
DEFAULT_DOCUMENT_EXPIRY = 24 * 3600.0
DEFAULT_STEP = "Generate document"


@dataclass(frozen=True)
class User:
    """A user of the emulated project, with the flows it may see and run."""

    username: str
    password: Secret | None = None
    api_keys: tuple[Secret, ...] = ()
    admin: bool = False
    flows: frozenset[str] = frozenset()

    def may_use(self, flow_id: str) -> bool:
        """Tell whether this user may see and run the flow ``flow_id``."""
        return self.admin or flow_id in self.flows


@dataclass(frozen=True)
class DataSet:
    """A schema data set: the XSD that XML input must satisfy, and its bytes."""

    id: str
    display_name: str
    schema_path: Path
    schema_bytes: bytes
    schema: Schema = field(compare=False, repr=False)
    wrapper_element_name: str | None = None
    primary_entity: str | None = None


@dataclass(frozen=True)
class PluginDataSet:
    """An input data set that a CRM plug-in defines."""

    id: str
    display_name: str
    entity: str
    source: str = "dynamics365"


@dataclass(frozen=True)
class FormField:
    """One field of a user-input form."""

    key: str
    title: str
    type: str = "string"
    description: str = ""
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class UserInputForm:
    """A form that pauses an execution in ``UserInput`` at ``at`` percent of its running time."""

    fields: tuple[FormField, ...]
    at: int = 30
    title: str = "Input"


@dataclass(frozen=True)
class WaitingStep:
    """A step that pauses an execution in ``Waiting`` until a callback arrives."""

    at: int = 60
    message: str = "Waiting for signatures"


@dataclass(frozen=True)
class DocumentSpec:
    """A document a flow produces: its name, media type and expiry (seconds after creation)."""

    name: str
    content_type: str = "application/pdf"
    expires_in: float = DEFAULT_DOCUMENT_EXPIRY


@dataclass(frozen=True)
class Flow:
    """A flow: its input type, timing (seconds), pauses, outcome and documents."""

    id: str
    display_name: str
    description: str = ""
    input_type: InputType = "none"
    dataset: str | None = None
    duration: float = DEFAULT_DURATION
    steps: tuple[str, ...] = (DEFAULT_STEP,)
    outcome: str = "Success"
    outcome_message: str | None = None
    max_run_time: float | None = None
    user_input: UserInputForm | None = None
    waiting: WaitingStep | None = None
    documents: tuple[DocumentSpec, ...] = ()
    outputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Project:
    """A loaded and checked emulator project."""

    path: Path | None
    flows: Mapping[str, Flow]
    users: tuple[User, ...] = (User("admin", admin=True),)
    datasets: Mapping[str, DataSet] = field(default_factory=dict)
    plugin_datasets: Mapping[str, PluginDataSet] = field(default_factory=dict)
    capacity: int | None = None
    token_lifetime: float = DEFAULT_TOKEN_LIFETIME
    faults: FaultSettings = field(default_factory=FaultSettings)
    name: str = "emulator"

    def with_api_keys(self, keys: Sequence[str]) -> Project:
        """Return this project with ``keys`` added to its first admin user (or its first user)."""
        if not keys:
            return self
        index = next((i for i, user in enumerate(self.users) if user.admin), 0)
        target = self.users[index]
        extended = replace(target, api_keys=target.api_keys + tuple(Secret(k) for k in keys))
        users = (*self.users[:index], extended, *self.users[index + 1 :])
        return replace(self, users=users)

    def with_faults(self, faults: FaultSettings) -> Project:
        """Return this project with ``faults`` replacing its fault rules of the same kinds."""
        return replace(self, faults=self.faults.merged(faults))


def load_project(path: Path, *, extra_api_keys: Sequence[str] = ()) -> Project:
    """Load, check and build the project file at ``path``; raise ``SpecError`` when invalid."""
    document = read_project_document(path)
    diagnostics = list(document.schema_diagnostics())
    if diagnostics:
        raise SpecError(diagnostics)

    datasets, dataset_problems = _build_datasets(document)
    diagnostics.extend(dataset_problems)
    diagnostics.extend(check_references(document))
    if diagnostics:
        raise SpecError(sorted(diagnostics))

    data = document.data
    project = Project(
        path=path,
        name=str(data.get("name", path.stem)),
        flows={flow.id: flow for flow in map(_build_flow, data["flows"])},
        users=tuple(map(_build_user, data["users"])) if data.get("users") else Project.users,
        datasets=datasets,
        plugin_datasets={
            item["id"]: _build_plugin_dataset(item) for item in data.get("plugin_datasets", [])
        },
        capacity=data.get("capacity"),
        token_lifetime=parse_duration(data.get("token_lifetime", DEFAULT_TOKEN_LIFETIME)),
        faults=parse_faults(data.get("faults", {})),
    )
    return project.with_api_keys(extra_api_keys)


def _build_user(data: Mapping[str, Any]) -> User:
    password = data.get("password")
    return User(
        username=data["username"],
        password=Secret(password) if password is not None else None,
        api_keys=tuple(Secret(key) for key in data.get("api_keys", [])),
        admin=bool(data.get("admin", False)),
        flows=frozenset(data.get("flows", [])),
    )


def _build_plugin_dataset(data: Mapping[str, Any]) -> PluginDataSet:
    return PluginDataSet(
        id=data["id"],
        display_name=data.get("display_name", data["id"]),
        entity=data["entity"],
        source=data.get("source", "dynamics365"),
    )


def _build_flow(data: Mapping[str, Any]) -> Flow:
    form = data.get("user_input")
    waiting = data.get("waiting")
    max_run_time = data.get("max_run_time")
    return Flow(
        id=data["id"],
        display_name=data.get("display_name", data["id"]),
        description=data.get("description", ""),
        input_type=data.get("input", "none"),
        dataset=data.get("dataset"),
        duration=parse_duration(data.get("duration", DEFAULT_DURATION)),
        steps=tuple(data.get("steps", [DEFAULT_STEP])),
        outcome=data.get("outcome", "Success"),
        outcome_message=data.get("outcome_message"),
        max_run_time=parse_duration(max_run_time) if max_run_time is not None else None,
        user_input=_build_form(form) if form is not None else None,
        waiting=WaitingStep(**waiting) if waiting is not None else None,
        documents=tuple(_build_document(item) for item in data.get("documents", [])),
        outputs=dict(data.get("outputs", {})),
    )


def _build_form(data: Mapping[str, Any]) -> UserInputForm:
    return UserInputForm(
        fields=tuple(FormField(**_json_default(item)) for item in data["fields"]),
        at=data.get("at", 30),
        title=data.get("title", "Input"),
    )


def _json_default(item: Mapping[str, Any]) -> dict[str, Any]:
    # YAML reads 2027-01-01 as a date, but the default goes into JSON payloads.
    default = item.get("default")
    if isinstance(default, (date, datetime)):
        return {**item, "default": default.isoformat()}
    return dict(item)


def _build_document(data: Mapping[str, Any]) -> DocumentSpec:
    return DocumentSpec(
        name=data["name"],
        content_type=data.get("content_type", "application/pdf"),
        expires_in=parse_duration(data.get("expires_in", DEFAULT_DOCUMENT_EXPIRY)),
    )


def _build_datasets(document: ProjectDocument) -> tuple[dict[str, DataSet], list[Diagnostic]]:
    datasets: dict[str, DataSet] = {}
    problems: list[Diagnostic] = []
    for index, item in enumerate(document.data.get("datasets", [])):
        pointer = f"/datasets/{index}/schema"
        try:
            schema_path = resolve_file(document.path.parent, item["schema"])
        except PathProblem as exc:
            problems.append(document.diagnostic(pointer, str(exc)))
            continue
        try:
            schema_bytes = schema_path.read_bytes()
            schema = compile_dataset_schema(schema_path)
        except OSError as exc:
            message = f"cannot read XSD file {item['schema']!r}: {exc.strerror}"
            hint = "give a path relative to the project file"
            problems.append(document.diagnostic(pointer, message, hint=hint))
            continue
        except SpecError as exc:
            problems.extend(exc.diagnostics)
            continue

        datasets[item["id"]] = DataSet(
            id=item["id"],
            display_name=item.get("display_name", item["id"]),
            schema_path=schema_path,
            schema_bytes=schema_bytes,
            schema=schema,
            wrapper_element_name=item.get("wrapper_element_name"),
            primary_entity=item.get("primary_entity"),
        )
    return datasets, problems
