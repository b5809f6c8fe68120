"""The core and the handlers know no platform: they import nothing from one; the core knows
no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("telegram", "nio", "bot.adapters", "aiohttp")
NEUTRAL_PACKAGES = ("bot/core", "bot/handlers")


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("package", NEUTRAL_PACKAGES)
def test_neutral_packages_import_no_platform(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found in {package}"
    leaks = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in files
        for name in imported_modules(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN)
    ]
    assert leaks == []


def test_the_core_imports_nothing_from_scheduling() -> None:
    """The clock and the senders stand on the core, never the other way round."""
    leaks = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted((ROOT / "bot/core").rglob("*.py"))
        for name in imported_modules(path)
        if name == "bot.scheduling" or name.startswith("bot.scheduling.")
    ]
    assert leaks == []


def test_the_check_sees_a_platform_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from telegram import Bot\nimport nio.api\n")
    assert imported_modules(sample) == ["telegram", "nio.api"]
