"""Module boundaries: only the AWS adapters import boto3/botocore, only the CLI imports typer/rich."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "retailctl"

ALLOWED_IMPORTERS = {
    "boto3": ("aws/", "storage/s3.py"),
    "botocore": ("aws/", "storage/s3.py"),
    "typer": ("cli/",),
    "rich": ("cli/",),
}


def imported_top_level_modules(source: Path) -> set[str]:
    """Every absolute module a file imports, anywhere in it (also inside functions)."""
    modules = set()
    for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"), filename=str(source))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


@pytest.mark.parametrize("library", sorted(ALLOWED_IMPORTERS))
def test_only_the_allowed_modules_import(library: str) -> None:
    allowed = ALLOWED_IMPORTERS[library]
    offenders = [
        relative
        for source in sorted(PACKAGE.rglob("*.py"))
        if not (relative := source.relative_to(PACKAGE).as_posix()).startswith(allowed)
        and library in imported_top_level_modules(source)
    ]
    assert offenders == [], f"{library} may only be imported under retailctl/{{{', '.join(allowed)}}}"


def test_the_walk_finds_imports_it_must_police(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import boto3.session\n\ndef late():\n    from rich.console import Console\n")
    assert {"boto3", "rich"} <= imported_top_level_modules(sample)
    assert "boto3" in imported_top_level_modules(PACKAGE / "storage" / "s3.py")
