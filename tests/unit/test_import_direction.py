"""The dependency direction of DESIGN.md section 2, checked on the source and at run time.

    loyalty     imports none of ours
    devices     imports none of ours
    sync        may import loyalty
    ledger      may import loyalty and sync.protocol
    pos_client  may import loyalty, devices, sync (ledger only in its demo modules)
    textual     is imported only by pos_client/ui/

The source check reads every module's imports with ``ast`` (including imports inside
functions), so an import that only runs on some path is caught too. The run-time
check imports the headless packages in a fresh interpreter and looks at
``sys.modules``, which also catches Textual arriving through a third package.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
OURS = ("loyalty", "devices", "sync", "ledger", "pos_client")
HEADLESS = ("loyalty", "devices", "sync", "ledger")
UI_PACKAGE = ROOT / "pos_client" / "ui"

ALLOWED: dict[str, tuple[str, ...]] = {
    "loyalty": ("loyalty",),
    "devices": ("devices",),
    "sync": ("sync", "loyalty"),
    "ledger": ("ledger", "loyalty", "sync.protocol"),
    "pos_client": ("pos_client", "loyalty", "devices", "sync"),
}
"""For each package, the prefixes of our modules it may import."""


def existing(packages: tuple[str, ...]) -> list[str]:
    return [name for name in packages if (ROOT / name / "__init__.py").exists()]


def source_files(package: str) -> Iterator[Path]:
    yield from sorted((ROOT / package).rglob("*.py"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, with ``from`` imports as ``pkg.name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            found.update(f"{base}.{alias.name}" if base else alias.name for alias in node.names)
    return found


def is_under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def ledger_allowed(path: Path) -> bool:
    """Only the demo may start a ledger, so only pos_client's demo modules import it."""
    return path.parent == ROOT / "pos_client" and path.name.startswith("demo")


@pytest.mark.parametrize("package", existing(OURS))
def test_each_package_imports_only_what_the_design_allows(package: str) -> None:
    allowed = ALLOWED[package]
    wrong = []
    for path in source_files(package):
        for module in sorted(imports_of(path)):
            if module.split(".")[0] not in OURS:
                continue
            if any(is_under(module, prefix) for prefix in allowed):
                continue
            if package == "pos_client" and is_under(module, "ledger") and ledger_allowed(path):
                continue
            wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_only_the_ui_package_imports_textual() -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {module}"
        for package in existing(OURS)
        for path in source_files(package)
        if UI_PACKAGE not in path.parents
        for module in sorted(imports_of(path))
        if is_under(module, "textual")
    ]
    assert wrong == []


def test_the_ui_package_is_found_by_the_scan() -> None:
    assert any(
        is_under(module, "textual")
        for path in source_files("pos_client/ui")
        for module in imports_of(path)
    )


def headless_modules() -> list[str]:
    """Every module of the headless packages, and pos_client's outside the UI."""
    names = {*existing(HEADLESS), "pos_client.till", "pos_client.store"}
    for package in [*existing(HEADLESS), "pos_client"]:
        names.update(module_name(path) for path in source_files(package))
    return sorted(name for name in names if not is_under(name, "pos_client.ui"))


def test_the_headless_packages_never_load_textual() -> None:
    modules = headless_modules()
    assert "pos_client.till" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
