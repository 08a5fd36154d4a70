"""HTTP error responses of the emulator, with the body ``{"status", "error", "message"}``."""

from __future__ import annotations

from http import HTTPStatus

from starlette.responses import JSONResponse


class ApiProblem(Exception):
    """An error response: an HTTP status and a message for the client."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """Return the JSON error response."""
        body = {
            "status": self.status,
            "error": HTTPStatus(self.status).phrase,
            "message": self.message,
        }
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class DropConnection(BaseException):
    """Close the connection without any HTTP response.

    It derives from BaseException so that Starlette's error middleware, which
    catches Exception and responds 500, lets it through to ``EmulatorApp``.
    """


def bad_request(message: str) -> ApiProblem:
    """Return a 400 problem."""
    return ApiProblem(400, message)


def not_found(message: str) -> ApiProblem:
    """Return a 404 problem."""
    return ApiProblem(404, message)


def forbidden(message: str) -> ApiProblem:
    """Return a 403 problem."""
    return ApiProblem(403, message)
