"""The layout is the architecture: the core imports no transport or database, and no module imports itself back."""
from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

BOT = ROOT / "bot"
TRANSPORTS = {"telegram", "aiosqlite", "httpx", "starlette", "uvicorn", "sqlite3", "socket", "fcntl"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, as absolute names."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    out: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.add(module)
            if node.level and not node.module:      # from . import x
                out.update(f"{module}.{alias.name}" for alias in node.names)
    return out


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (type hints only, never imported at run time)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) and child.test.id == "TYPE_CHECKING":
                todo.extend(child.orelse)
                continue
            todo.append(child)


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in BOT.rglob("*.py")}
    return {name: {m for m in imports(path) if m in modules} for name, path in modules.items()}


def test_the_core_imports_no_transport_and_nothing_outside_the_core():
    for path in sorted((BOT / "core").rglob("*.py")):
        found = imports(path)
        foreign = {m for m in found if m.split(".")[0] in TRANSPORTS}
        outside = {m for m in found if m.startswith("bot.") and not m.startswith("bot.core")}
        assert not foreign and not outside, f"{path.relative_to(ROOT)} imports {sorted(foreign | outside)}"


def test_services_import_no_channel():
    for path in sorted((BOT / "services").rglob("*.py")):
        found = imports(path)
        bad = {m for m in found if m.startswith("bot.channels") or m.split(".")[0] in {"telegram", "starlette", "uvicorn"}}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_no_import_loops():
    edges = graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                loop = trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt]
                raise AssertionError("import loop: " + " -> ".join(loop))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])


def test_the_readme_layout_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    missing = [str(p.relative_to(ROOT)) for p in sorted(BOT.rglob("*.py"))
               if p.name != "__init__.py" and f" {p.name} " not in layout]
    assert not missing, f"README's Layout section does not name {missing}"


def test_ask_and_chat_load_no_transport():
    import subprocess
    import sys

    code = ("import sys, bot.cli, bot.channels.terminal; "
            "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
            "{'telegram', 'httpx', 'starlette', 'uvicorn'})))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
