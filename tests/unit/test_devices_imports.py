"""The device layer imports none of our other packages and no UI; scans.py no devices."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import devices

DEVICE_MODULES = sorted(f"devices.{m.name}" for m in pkgutil.iter_modules(devices.__path__))


def imported_after(modules: list[str]) -> set[str]:
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(out.stdout))


def test_devices_imports_none_of_our_packages_and_no_textual() -> None:
    assert "devices.serial_source" in DEVICE_MODULES
    roots = imported_after(DEVICE_MODULES)
    assert roots.isdisjoint({"loyalty", "pos_client", "sync", "ledger", "textual"})


def test_scan_classification_imports_no_devices_and_no_io_libraries() -> None:
    roots = imported_after(["loyalty.scans"])
    assert roots.isdisjoint({"devices", "serial", "pos_client", "textual", "httpx", "sqlite3"})
