"""The layers of ``docs/architecture.md``: every module imports only those below it, lazy imports included.

``durable`` is under everything; ``corpus`` and ``models`` sit side by side and know nothing of each other;
then ``matcher``, ``events``, ``eval`` and ``api``. The one way up is ``eval/bench/``: a benchmark of the
served doors (``eval.bench.prefork``) starts them, so the benchmarks may drive every layer.
"""

from __future__ import annotations

import ast
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RANK = {"durable": 0, "corpus": 1, "models": 1, "matcher": 2, "events": 3, "eval": 4, "api": 5}


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute import of a module (line, top-level package), at any depth of its body."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def _upward(rel: Path) -> list[str]:
    layer = rel.parts[0]
    wrong = []
    for line, package in _imports(ROOT / rel):
        if package not in RANK or package == layer or RANK[package] < RANK[layer]:
            continue
        if rel.parts[:2] == ("eval", "bench"):
            continue  # benchmarks drive every layer, the doors included
        wrong.append(f"{rel}:{line} imports {package}")
    return wrong


def test_no_module_imports_a_layer_above_it_or_beside_it() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--", *(f"{layer}/*.py" for layer in RANK)],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    files = [Path(name) for name in listed.split("\0") if name]
    assert len(files) > 200 and {f.parts[0] for f in files} == set(RANK)
    assert [w for f in files for w in _upward(f)] == []


def test_the_check_sees_an_upward_import_even_inside_a_function(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from matcher.text import cut\n    import corpus.store\n", encoding="utf-8"
    )
    assert _imports(module) == [(2, "matcher"), (3, "corpus")]
