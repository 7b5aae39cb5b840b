"""The code's map holds (docs/architecture.md): read from the source with `ast`, no imports.

- `referee.matching` depends on nothing of ours and not on Django;
- no import cycle between modules (function-level imports included) except Django's
  model-to-queryset pattern inside one app, and every remaining lazy import says why;
- statuses, states and audit event types are named through their enums, never spelled as
  literals outside `enums.py`, models and migrations;
- no view module decides a permission inline (predicates and permission classes do)."""

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "referee"


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()
TREES = {name: ast.parse(path.read_text(), filename=str(path)) for name, path in MODULES.items()}


def _owner(dotted: str) -> str | None:
    """The module of ours that `dotted` (a module or a name inside one) belongs to."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _imports(name: str):
    """(line, imported module of ours or foreign top-level name, lazy?) for every import in `name`."""
    tree, is_package = TREES[name], MODULES[name].name == "__init__.py"
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        else:
            continue
        lazy = id(node) not in top_level and not _guarded_top_level(tree, node)
        for target in targets:
            yield node.lineno, (_owner(target) if target.startswith("referee") else target.split(".")[0]), lazy


def _guarded_top_level(tree, node) -> bool:
    """An import under a module-level `if`/`try` (TYPE_CHECKING, optional packages) is not lazy."""
    return any(node in ast.walk(top) for top in tree.body if isinstance(top, (ast.If, ast.Try)))


def test_matching_depends_on_nothing_of_ours_nor_on_django():
    offending = [f"{name}:{line} imports {target}" for name in MODULES if name.startswith("referee.matching")
                 for line, target, _ in _imports(name)
                 if target and (target == "django" or (target.startswith("referee") and not target.startswith("referee.matching")))]
    assert offending == []


def _cycles(graph) -> list[list[str]]:
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_but_models_and_their_querysets():
    """Models import their querysets to attach managers; a queryset reaches models (its own or,
    for visibility subqueries, another app's) through imports inside its methods. That is the only
    cycle Django's layout needs, and every other module stays out of cycles."""
    graph = defaultdict(set)
    for name in MODULES:
        graph[name] |= {target for _, target, _ in _imports(name) if target in MODULES and target != name}
    tangled = [c for c in _cycles(graph) if any(m.rpartition(".")[2] not in {"models", "querysets"} for m in c)]
    assert tangled == []


def test_every_lazy_import_of_ours_says_why():
    silent = []
    for name, path in MODULES.items():
        lines = path.read_text().splitlines()
        for line, target, lazy in _imports(name):
            if lazy and target and target.startswith("referee"):
                here, above = lines[line - 1], lines[line - 2].strip() if line > 1 else ""
                if "#" not in here and not above.startswith("#"):
                    silent.append(f"{path.relative_to(ROOT)}:{line}")
    assert silent == []


STATE_KEYS = re.compile(r"(^|__)(status|state|invitation_status|from_state|to_state)(__in|__exact)?$")
STATE_ATTRIBUTES = {"status", "state", "invitation_status", "from_state", "to_state"}
AUDIT_WRITERS = {"record", "record_many"}


def _named_values() -> set[str]:
    """Every value of a status/state enum and every audit event type, read from the enums' source."""
    values = set()
    for tree in TREES.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "attr", "") == "TextChoices" for b in node.bases) \
                    and re.search(r"(Status|State|EventType)$", node.name):
                for item in node.body:
                    if isinstance(item, ast.Assign):
                        value = item.value.elts[0] if isinstance(item.value, ast.Tuple) else item.value
                        if isinstance(value, ast.Constant) and isinstance(value.value, str):
                            values.add(value.value)
    return values


def _literal_positions(tree):
    """Expressions that hold a status, a state or an event type."""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and STATE_KEYS.search(node.arg):
            yield node.value
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr in STATE_ATTRIBUTES for s in sides):
                yield from sides
        elif isinstance(node, ast.Call) and node.args and \
                (getattr(node.func, "attr", None) or getattr(node.func, "id", None)) in AUDIT_WRITERS:
            yield node.args[0]
        elif isinstance(node, ast.Dict):
            yield from (v for k, v in zip(node.keys, node.values, strict=True)
                        if isinstance(k, ast.Constant) and isinstance(k.value, str) and STATE_KEYS.search(k.value))


def test_statuses_and_event_types_are_named_not_spelled():
    named = _named_values()
    assert {"sent", "accepted", "recused", "ASSIGNMENT_BATCH_SENT"} <= named, "the enums were not found"
    spelled = []
    for name, tree in TREES.items():
        if name.rpartition(".")[2] in {"models", "enums"}:
            continue
        for expression in _literal_positions(tree):
            for node in ast.walk(expression):
                if isinstance(node, ast.Constant) and node.value in named:
                    spelled.append(f"{MODULES[name].relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert spelled == []


VIEW_MODULE = re.compile(r"(^|_)(views|actions)$")


@pytest.mark.parametrize("name", sorted(n for n in MODULES if VIEW_MODULE.search(n.rpartition(".")[2])))
def test_views_do_not_decide_permissions_inline(name):
    raised = [node.lineno for node in ast.walk(TREES[name])
              if isinstance(node, ast.Name) and node.id == "PermissionDenied"
              or isinstance(node, ast.Attribute) and node.attr == "PermissionDenied"]
    assert raised == [], f"{MODULES[name].relative_to(ROOT)} names PermissionDenied on lines {raised}"
