"""flowspec: run Smart Flows executions from version-controlled YAML job files."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("flowspec")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
