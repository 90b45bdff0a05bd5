"""The shape of the package: data flows one way, words live in one place, modules stay small.

Read from the source with :mod:`ast` (module-level imports only: an import inside a function
is a deliberate late binding, e.g. optional dependencies).
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "coverage"

#: Layers of the house, bottom to top.  A module may import modules of its own layer or
#: of a lower one, never of a higher one.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("glossary", ("coverage.vocabulary", "coverage.synonyms", "coverage.problems")),
    ("base", ("coverage._clean", "coverage.crs", "coverage.readers", "coverage.coordinates",
              "coverage.outputs", "coverage._outdir", "coverage.config", "coverage._osm",
              "coverage.offsets", "coverage.roads_clip")),
    ("model", ("coverage.region", "coverage.network", "coverage.optimize",
               "coverage.reference", "coverage.isochrones")),
    ("load", ("coverage.load",)),
    ("stages", ("coverage.targets", "coverage.access", "coverage.suggest")),
    ("presentation", ("coverage.present", "coverage.maps")),
    ("composition", ("coverage.pipeline", "coverage.datasets", "coverage.batch",
                     "coverage.scaffold")),
    ("interface", ("coverage.cli", "coverage.web", "coverage")),
]
#: Words that are display labels of codes: only the glossary and presentation may hold them.
DISPLAY_WORDS = ("达标", "未达标", "无数据", "已建成")
MAX_LINES = 650


def _modules() -> dict[str, Path]:
    out = {}
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _top_level_imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` blocks are not run-time imports
            continue
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in found if m == "coverage" or m.startswith("coverage.")}


def _resolve(name: str) -> str | None:
    """The module an imported name lives in (``coverage.x.y`` may be a class in ``coverage.x``)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for module, path in MODULES.items():
        g.add_node(module)
        for imp in _top_level_imports(path, module):
            target = _resolve(imp)
            if target and target != module and not module.startswith(target + "."):
                g.add_edge(module, target)
    return g


def _layer(module: str) -> int:
    best, rank = -1, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            nested = p != "coverage" and module.startswith(p + ".")
            if (module == p or nested) and len(p) > best:
                best, rank = len(p), i
    return rank


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(m for m in MODULES if _layer(m) < 0)
    assert not unplaced, f"add these modules to LAYERS: {unplaced}"


def test_no_import_cycles() -> None:
    cycles = list(nx.simple_cycles(_graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_imports_flow_downwards() -> None:
    bad = []
    for a, b in _graph().edges:
        if _layer(b) > _layer(a):
            bad.append(f"{a} ({LAYERS[_layer(a)][0]}) imports {b} ({LAYERS[_layer(b)][0]})")
    assert not bad, "\n".join(bad)


def test_presentation_reads_no_stage_internals() -> None:
    stages = ("coverage.targets", "coverage.access", "coverage.suggest", "coverage.optimize")
    bad = []
    for a, b in _graph().edges:
        if not (a.startswith("coverage.present") or a.startswith("coverage.maps")):
            continue
        if b.startswith(stages) and any(part.startswith("_") for part in b.split(".")[1:]):
            bad.append(f"{a} imports {b}")
    assert not bad, "\n".join(bad)


def test_display_words_only_in_glossary_and_presentation() -> None:
    allowed = ("coverage.vocabulary", "coverage.synonyms", "coverage.present", "coverage.maps")
    found = []
    for module, path in MODULES.items():
        if module.startswith(allowed):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for word in DISPLAY_WORDS:
                if word in line:
                    found.append(f"{path.relative_to(SRC.parent)}:{n}: {word}")
    assert not found, "display words outside the glossary:\n" + "\n".join(found)


def test_each_label_defined_once() -> None:
    from coverage.vocabulary import STATUS

    assert STATUS["none"].zh == "未建"  # 无 vs 未建: one place, one word
    for module, path in MODULES.items():
        if module == "coverage.vocabulary":
            continue
        src = path.read_text(encoding="utf-8")
        assert '"none": "无"' not in src and '"none": "未建"' not in src, module


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    path = MODULES[module]
    text = path.read_text(encoding="utf-8")
    n = text.count("\n")
    if n > MAX_LINES:
        doc = ast.get_docstring(ast.parse(text)) or ""
        assert "reads better whole" in doc, (
            f"{module} has {n} lines; split it, or say in its docstring why it "
            "reads better whole")
