"""The package's layout rules that a reader relies on, checked on the source with `ast`."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

SOURCES = sorted([*REPO.glob("rag/**/*.py"), *REPO.glob("embeddings/**/*.py"), REPO / "app.py"])


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_names_defined(tree: ast.AST) -> set[str]:
    """Private functions, methods, classes and attributes (`self._x = ...`) a module defines."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and _private(node.name):
            names.add(node.name)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and _private(node.attr):
            names.add(node.attr)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and _private(node.id):
            names.add(node.id)
    return names


def test_no_module_uses_another_modules_private_names():
    """A module reaches another only through its public names: `library._triage(...)` from
    `rag.distributed`, or `from rag.store import _varints`, is a hidden coupling."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    defined = {path: _private_names_defined(tree) for path, tree in trees.items()}
    ours = set().union(*defined.values())
    found = []
    for path, tree in trees.items():
        where = path.relative_to(REPO)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in ("rag", "embeddings"):
                found += [f"{where}:{node.lineno} imports {a.name}" for a in node.names if _private(a.name)]
            elif (isinstance(node, ast.Attribute) and _private(node.attr) and node.attr in ours
                  and node.attr not in defined[path]
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                found.append(f"{where}:{node.lineno} uses {ast.unparse(node)}")
    assert found == []


def test_every_list_of_supported_formats_comes_from_the_reader_registry():
    """A new format is one reader and one registry line: nowhere else spells the suffixes."""
    from rag import readers

    assert readers.SUPPORTED_SUFFIXES == (".txt", ".md", ".html", ".htm", ".pdf", ".docx")
    spelled = [path.relative_to(REPO) for path in SOURCES if path.name != "readers.py"
               and any(text in path.read_text(encoding="utf-8") for text in ('".pdf"', '"pdf"', ".txt .md"))]
    assert spelled == []
