"""From schema-checked job-file data to the model, with the checks a schema cannot make.

The schema has already run, yet every function here still checks types before
trusting them. So a file with schema errors gets its other mistakes reported
too, instead of the checks stopping at the first broken part.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flowspec.diagnostics import Diagnostic
from flowspec.documents import TEMPLATE_FIELDS
from flowspec.secret import Secret
from flowspec.spec.model import (
    TERMINAL_STATUSES,
    Auth,
    Entry,
    Expect,
    Login,
    PluginInput,
    RunSettings,
    Server,
    XmlInput,
)
from flowspec.spec.paths import PathProblem, expand_glob, resolve_file
from flowspec.spec.yamlload import MarkedDocument

DEFAULT_TIMEOUT = 600.0
DEFAULT_POLL_TIMEOUT = 30.0
MAX_POLL_TIMEOUT = 300.0
_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")
_LOOPBACK_NAMES = ("localhost", "localhost.", "::1", "[::1]")


@dataclass
class Builder:
    """Builds the parts of one job file's model, collecting diagnostics on the way."""

    document: MarkedDocument
    secrets: Mapping[tuple[str, ...], str]
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def job_dir(self) -> Path:
        return self.document.path.parent

    def error(self, pointer: str, message: str, hint: str | None = None) -> None:
        """Record a problem at the value at ``pointer``."""
        self.diagnostics.append(Diagnostic(self.document.locate(pointer), message, hint))

    def server(self, data: Any) -> Server | None:
        """Return the ``server`` section as a ``Server``."""
        if not isinstance(data, dict) or not isinstance(data.get("base_url"), str):
            return None
        base_url: str = data["base_url"]
        insecure = data.get("allow_insecure_http") is True
        emulator_project = self._base_url(base_url, insecure)
        ca_bundle = self.file("/server/ca_bundle", data.get("ca_bundle"))
        location = self.document.locate("/server")
        if "auth" not in data and not base_url.startswith("emulator:"):
            # Only the emulator can run without credentials: flowspec adds a key to it.
            self.error(
                "/server",
                "server.auth is missing, and a Smart Flows server rejects requests without"
                " credentials",
                "add auth: {api_key: ${SMARTFLOWS_API_KEY}} or a login under server",
            )
        return Server(
            base_url, self.auth(data.get("auth")), location, emulator_project, ca_bundle, insecure
        )

    def _base_url(self, base_url: str, insecure: bool) -> Path | None:
        pointer = "/server/base_url"
        if base_url.startswith("emulator:"):
            return self.file(pointer, base_url.removeprefix("emulator:"), "emulator project: ")
        problem = _url_problem(base_url)
        if problem is not None:
            self.error(pointer, *problem)
            return None
        parts = urlsplit(base_url)
        if parts.scheme == "http" and not insecure and not _is_loopback(parts.hostname or ""):
            self.error(
                pointer,
                f"plain http:// to {parts.hostname} would send credentials unencrypted",
                "use https://, or set allow_insecure_http: true if the network is trusted",
            )
        return None

    def auth(self, data: Any) -> Auth | None:
        """Return ``server.auth`` as ``Auth``, its secrets taken from the environment."""
        if not isinstance(data, dict):
            return None
        api_key = self.secrets.get(("server", "auth", "api_key"))
        login = data.get("login")
        if isinstance(login, dict) and isinstance(login.get("username"), str):
            password = self.secrets.get(("server", "auth", "login", "password"), "")
            scope = login.get("scope") if isinstance(login.get("scope"), str) else None
            return Auth(login=Login(login["username"], Secret(password), scope))
        return Auth(api_key=Secret(api_key)) if api_key is not None else None

    def run_settings(self, data: Any) -> RunSettings:
        """Return the ``run`` section, with defaults for what it leaves out."""
        if not isinstance(data, dict):
            return RunSettings()
        defaults = RunSettings()
        return RunSettings(
            order=data.get("order", defaults.order),
            concurrency=data.get("concurrency", defaults.concurrency),
            fail_fast=data.get("fail_fast", defaults.fail_fast),
        )

    def file(self, pointer: str, relative: Any, label: str = "") -> Path | None:
        """Return the checked path of a referenced file, or None (recording why)."""
        if not isinstance(relative, str) or not relative:
            return None
        try:
            return resolve_file(self.job_dir, relative)
        except PathProblem as exc:
            self.error(pointer, f"{label}{exc}")
            return None

    def duration(self, pointer: str, value: Any, default: float) -> float:
        """Return a duration in seconds (``default`` when absent); zero is an error."""
        if value is None:
            return default
        seconds = parse_duration(value)
        if seconds is None:
            return default
        if seconds <= 0:
            self.error(pointer, f"'{value}' is not a positive duration", "give e.g. 30s or 10m")
            return default
        return seconds

    def poll_timeout(self, pointer: str, value: Any) -> float:
        """Return the long-poll timeout in seconds, checked to lie in 1..300."""
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value) if 1 <= value <= MAX_POLL_TIMEOUT else DEFAULT_POLL_TIMEOUT
        seconds = parse_duration(value)  # the schema reports integers out of range
        if seconds is None:
            return DEFAULT_POLL_TIMEOUT
        if not 1 <= seconds <= MAX_POLL_TIMEOUT:
            self.error(pointer, f"poll_timeout must be between 1s and 300s, not {value}")
            return DEFAULT_POLL_TIMEOUT
        return seconds

    def save(self, pointer: str, template: Any) -> str | None:
        """Return a checked ``save`` template, or None when it is absent or wrong."""
        if not isinstance(template, str) or not template:
            return None
        problem = save_template_problem(template)
        if problem:
            fields = ", ".join("{" + name + "}" for name in TEMPLATE_FIELDS)
            self.error(pointer, problem, f"use the fields {fields}")
            return None
        return template


def parse_duration(value: Any) -> float | None:
    """Return the seconds of a duration such as ``90s``, ``10m`` or ``1h30m``; None if invalid."""
    if not isinstance(value, str) or not value or not value[0].isdigit():
        return None
    match = _DURATION.fullmatch(value)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def save_template_problem(template: str) -> str | None:
    """Return what is wrong with a ``save`` template, or None when it is usable."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"invalid save template {template!r}: {exc} (write {{{{ and }}}} for braces)"
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            return f"save template {template!r} uses unknown field {{{name}}}"
        if spec or conversion:
            return f"save template {template!r}: field {{{name}}} takes no format or conversion"
    if template.startswith(("/", "\\")) or (len(template) > 1 and template[1] == ":"):
        return f"save template {template!r} is absolute; it is relative to the output folder"
    if ".." in re.split(r"[/\\]", template):
        return f"save template {template!r} climbs out of the output folder with '..'"
    return None


def _url_problem(base_url: str) -> tuple[str, str] | None:
    """Return what is wrong with an ``http(s)://`` base URL and what to do, or ``None``.

    The URL itself is never quoted, because it may carry a password.
    """
    try:
        parts = urlsplit(base_url)
        port = parts.port
    except ValueError as exc:
        return f"invalid base URL: {exc}", "write it as https://host[:port][/path/]"
    if parts.username is not None or parts.password is not None:
        return (
            "the base URL contains a user name or password",
            "remove them from the URL and use server.auth with ${VAR} references",
        )
    if port == 0:
        return "the base URL's port 0 is not a valid port", "use a port from 1 to 65535"
    if parts.query or parts.fragment:
        return (
            "the base URL has a query or fragment",
            "remove everything from '?' or '#' on, because flowspec adds the API paths itself",
        )
    return None


def _is_loopback(host: str) -> bool:
    host = host.lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    return host.startswith("127.") and all(part.isdigit() for part in host.split("."))


class EntryBuilder:
    """Builds one ``flows`` entry with the file's ``defaults`` applied."""

    def __init__(self, parent: Builder, defaults: Mapping[str, Any]) -> None:
        self.parent = parent
        self.defaults = defaults

    def build(self, index: int, data: Any) -> Entry | None:
        if not isinstance(data, dict):
            return None
        name, flow = data.get("name"), data.get("flow")
        if not isinstance(name, str) or not isinstance(flow, str):
            return None
        pointer = f"/flows/{index}"
        setting = self._setting(data)
        entry_input = self._input(pointer, data.get("input"))
        self._check_mode(pointer, data)
        self._check_user_input(pointer, data)

        parent = self.parent
        timeout = parent.duration(*self._where(pointer, data, "timeout"), DEFAULT_TIMEOUT)
        poll_timeout = parent.poll_timeout(*self._where(pointer, data, "poll_timeout"))
        save = parent.save(*self._where(pointer, data, "save")) or "{run}/{document}"
        skip = data.get("skip_user_input") is True
        return Entry(
            name=name,
            flow=flow,
            location=parent.document.locate(pointer),
            mode=data.get("mode"),
            input=entry_input,
            skip_user_input=skip,
            answers={} if skip or data.get("mode") == "start" else self._answers(data),
            expect=self._expect(data),
            timeout=timeout,
            poll_timeout=poll_timeout,
            after=_names(data.get("after")),
            save=save,
            download=setting("download", True),
            cancel_on_timeout=setting("cancel_on_timeout", True),
            outputs=_names(setting("outputs", ())),
        )

    def _setting(self, data: Mapping[str, Any]) -> Any:
        def setting(key: str, default: Any) -> Any:
            return data.get(key, self.defaults.get(key, default))

        return setting

    def _where(self, pointer: str, data: Mapping[str, Any], key: str) -> tuple[str, Any]:
        """Return the pointer and value of ``key``: the entry's own, else the default's."""
        if key in data:
            return f"{pointer}/{key}", data[key]
        return f"/defaults/{key}", self.defaults.get(key)

    def _answers(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return {**_mapping(self.defaults.get("answers")), **_mapping(data.get("answers"))}

    def _expect(self, data: Mapping[str, Any]) -> Expect:
        merged = {**_mapping(self.defaults.get("expect")), **_mapping(data.get("expect"))}
        status = merged.get("status", "Success")
        statuses = tuple(status) if isinstance(status, list) else (status,)
        documents = merged.get("documents")
        return Expect(
            status=tuple(s for s in statuses if s in TERMINAL_STATUSES) or ("Success",),
            documents=documents if isinstance(documents, int) else None,
        )

    def _input(self, pointer: str, data: Any) -> XmlInput | PluginInput | None:
        if not isinstance(data, dict):
            return None
        pointer += "/input"
        location = self.parent.document.locate(pointer)
        plugin = data.get("plugin")
        if isinstance(plugin, dict) and "xml" not in data:
            ids = plugin.get("ids")
            return PluginInput(
                dataset=str(plugin.get("dataset", "")),
                entity=str(plugin.get("entity", "")),
                ids=tuple(ids) if isinstance(ids, list) else (str(ids),),
                user=str(plugin.get("user", "")),
                organization=plugin.get("organization"),
                location=location,
            )
        pattern = data.get("xml")
        if not isinstance(pattern, str) or not pattern:
            return None
        schema = self.parent.file(f"{pointer}/schema", data.get("schema"))
        try:
            files = expand_glob(self.parent.job_dir, pattern)
        except PathProblem as exc:
            self.parent.error(f"{pointer}/xml", str(exc))
            files = ()
        return XmlInput(pattern, files, schema, location)

    def _check_mode(self, pointer: str, data: Mapping[str, Any]) -> None:
        """Check that ``mode`` fits the input: the XML or plug-in payload it sends."""
        mode = data.get("mode")
        entry_input = _mapping(data.get("input"))
        has_xml, has_plugin = "xml" in entry_input, "plugin" in entry_input
        error = self.parent.error

        if mode in ("none", "plugin") and has_xml:
            message = f"mode {mode} sends no XML, but input.xml is given"
            error(f"{pointer}/mode", message, "use mode xml or start, or remove the XML input")
        if mode in ("none", "xml") and has_plugin:
            message = f"mode {mode} sends no plug-in payload, but input.plugin is given"
            error(f"{pointer}/mode", message, "use mode plugin or start, or remove the input")
        # When the other kind of input is given, the message above already
        # names the mismatch, so a second one about the missing input is left out.
        if mode == "xml" and not has_xml and not has_plugin:
            error(f"{pointer}/mode", "mode xml needs an XML input", "add input.xml")
        if mode == "plugin" and not has_plugin and not has_xml:
            error(f"{pointer}/mode", "mode plugin needs a plug-in payload", "add input.plugin")

    def _check_user_input(self, pointer: str, data: Mapping[str, Any]) -> None:
        """Check that ``skip_user_input`` fits ``mode``, and ``answers`` can be used."""
        mode = data.get("mode")
        skip = data.get("skip_user_input") is True
        if skip and mode not in (None, "start"):
            message = f"skip_user_input: true needs mode start, but mode is {mode}"
            hint = "remove the mode (start is implied) or set mode: start"
            self.parent.error(f"{pointer}/skip_user_input", message, hint)

        if "answers" in data and (skip or mode == "start"):
            reason = "skip_user_input: true" if skip else "mode start"
            message = f"answers are never used: {reason} skips all user input"
            hint = "remove the answers, or let the flow ask for input"
            self.parent.error(f"{pointer}/answers", message, hint)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(item for item in value if isinstance(item, str))
    return ()
