"""The package's structure: interfaces → facade → pipeline → store, with no arrow pointing
back up and no import cycle (every import counts, including those inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"

# Each module's layer, by the first name under assistant/ that matches.
LAYERS = {
    "interface": ("cli", "server", "bots", "__main__"),
    "facade": ("service", "storage", "evaluation", "render"),
    "pipeline": ("loaders", "parsing", "chunking", "embedding", "embedding_onnx", "progress",
                 "units",
                 "answer_model",
                 "retrieval", "signals", "answering", "conversation",
                 "ingest", "generation"),
    "store": ("store",),
    "base": ("records", "errors", "config", "text", "schema", "rate", "__init__"),
}
# What each layer may import, besides itself.
ALLOWED = {
    "interface": {"facade", "base"},
    "facade": {"pipeline", "store", "base"},
    "pipeline": {"store", "base"},
    "store": {"base"},
    "base": set(),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 1 else parts)


def layer_of(module: str) -> str:
    top = module.split(".")[1] if "." in module else "__init__"
    return next(layer for layer, names in LAYERS.items() if top in names)


def imports() -> dict[str, set[str]]:
    """Every module of the package → the package modules it imports."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = module_name(path)
        is_package = path.name == "__init__.py"
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".")
                    base = base[: len(base) - node.level + (1 if is_package else 0)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # `from x import y` depends on the module x.y where y is one, else on x
                found.update(f"{target}.{alias.name}" if (PACKAGE.parent / (
                    f"{target}.{alias.name}".replace(".", "/"))).with_suffix(".py").exists()
                    or (PACKAGE.parent / f"{target}.{alias.name}".replace(".", "/")).is_dir()
                    else target for alias in node.names)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
        graph[name] = {t for t in found if t.startswith("assistant")}
    known = set(graph)
    # keep the imported names that are modules (drop `from .x import function`)
    return {m: {t for t in targets if t in known and t != m} for m, targets in graph.items()}


def test_every_module_has_a_layer() -> None:
    for module in imports():
        assert layer_of(module)


def test_no_arrow_points_back_up() -> None:
    wrong = []
    for module, targets in imports().items():
        layer = layer_of(module)
        for target in targets:
            other = layer_of(target)
            if other != layer and other not in ALLOWED[layer]:
                wrong.append(f"{module} ({layer}) imports {target} ({other})")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_bots_never_reach_into_the_server() -> None:
    graph = imports()
    assert not [t for m, ts in graph.items() if m.startswith("assistant.bots")
                for t in ts if t.startswith("assistant.server")]


def test_no_import_cycle() -> None:
    graph = imports()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " → ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
