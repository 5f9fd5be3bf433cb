"""Strict, typed reading of one TOML table, with errors that name the key and file.

A till that silently ignores ``termnal_id`` or reads ``sync_interval = "30s"`` as
something else fails later in a way nobody can trace; here every unknown key and
every wrong type stops start-up with the file and the key in the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pos_client.errors import ConfigError

_REQUIRED: Any = object()


class TableReader:
    """Reads the keys of one ``[section]`` and remembers which were read."""

    def __init__(self, data: Any, section: str, source: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: [{section}] must be a table.")
        self.data: dict[str, Any] = data
        self.section = section
        self.source = source
        self._read: set[str] = set()

    def error(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: [{self.section}] {key} {problem}")

    def _get(self, key: str, default: Any) -> Any:
        self._read.add(key)
        if key in self.data:
            return self.data[key]
        if default is _REQUIRED:
            raise self.error(key, "is missing.")
        return default

    def text(self, key: str, default: Any = _REQUIRED) -> Any:
        value = self._get(key, default)
        if value is not default and not isinstance(value, str):
            raise self.error(key, f"must be text in quotes, not {value!r}.")
        return value

    def integer(self, key: str, default: Any = _REQUIRED, minimum: int | None = None) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be a whole number, not {value!r}.")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, not {value}.")
        return value

    def seconds(self, key: str, default: Any = _REQUIRED) -> Any:
        value = self._get(key, default)
        if value is default:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise self.error(key, f"must be a positive number of seconds, not {value!r}.")
        return float(value)

    def path(self, key: str, default: Any = _REQUIRED, relative_to: Path | None = None) -> Any:
        value = self.text(key, default)
        if value is default or value is None:
            return value
        path = Path(value).expanduser()
        if relative_to is not None and not path.is_absolute():
            path = relative_to / path
        return path

    def texts(self, key: str) -> list[str]:
        """A list of texts in quotes; absent means an empty list."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, 'must be a list of texts in quotes, like ["coffee"].')
        return list(value)

    def tables(self, key: str) -> list[dict[str, Any]]:
        """An array of tables (``[[key]]``), returned raw; absent means none."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, f"must be an array of tables ([[{key}]]).")
        return list(value)

    def table(self, key: str) -> dict[str, Any]:
        """A nested table, returned raw for another component to validate."""
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table.")
        return value

    def check_no_unknown_keys(self) -> None:
        unknown = sorted(set(self.data) - self._read)
        if unknown:
            raise self.error(unknown[0], "is not a known setting (misspelt?).")
