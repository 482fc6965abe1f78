"""The import graph against the declared layers (STYLE.md's diagram), read from the code's AST.

Each part of `digest` may import only the parts listed for it (and itself);
nothing in `digest` imports `digest_flows` or Prefect; only the store speaks
SQL; only config reads the environment. Following an article through the
code therefore crosses each stage once: ingest, text, dedup, select, group,
summarize, publish, with the store read before and written after.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from probe import modules_loaded_by

import digest
import digest_flows

ROOT = Path(digest.__file__).parent
FLOWS = Path(digest_flows.__file__).parent

FOUNDATION = {"digest.models", "digest.errors"}
# Part -> the parts it may import, besides itself and the foundation.
LAYERS: dict[str, set[str]] = {
    "digest.models": set(),
    "digest.errors": set(),
    "digest.config": set(),
    "digest.text": set(),
    "digest.ingest": {"digest.text", "digest.config"},
    "digest.dedup": {"digest.text"},
    "digest.select": set(),
    "digest.group": {"digest.text", "digest.config"},
    "digest.summarize": {"digest.text"},
    "digest.publish": {"digest.config", "digest.group", "digest.text"},
    "digest.store": set(),
    "digest.processes": set(),
    "digest.pipeline": {"digest.config", "digest.text", "digest.ingest", "digest.dedup",
                        "digest.select", "digest.group", "digest.summarize",
                        "digest.publish", "digest.store", "digest.processes"},
    "digest.eval": {"digest.config", "digest.text", "digest.ingest", "digest.dedup",
                    "digest.group", "digest.summarize"},
}
# Heavy libraries the light commands (`digest --help`, `digest sources list`) must not load.
HEAVY = ("sumy", "numpy", "sklearn", "scipy", "nltk", "prefect")
SQL = re.compile(r"\b(select\s+(distinct\s+)?([\w.*()]+\s*,\s*)*[\w.*()]+\s+from\s+\w+|"
                 r"insert\s+(or\s+\w+\s+)?into|update\s+\w+\s+set|delete\s+from|"
                 r"create\s+(table|index|trigger)|drop\s+table|pragma\s+\w+)\b", re.I | re.S)


def _modules(root: Path, package: str) -> dict[str, ast.Module]:
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join((package, *parts)).removesuffix(".__init__")
        found[name] = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return found


def _imports(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _text(node: ast.expr) -> str:
    """Return a string literal's text; an f-string's holes read as a name ("x")."""
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
    assert isinstance(node, ast.Constant)
    return str(node.value)


def _part(module: str) -> str | None:
    """Return the layer a `digest` module belongs to (its stage package or module)."""
    for part in sorted(LAYERS, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    return None


def test_every_digest_module_belongs_to_a_declared_layer() -> None:
    unplaced = [m for m in _modules(ROOT, "digest") if m != "digest" and _part(m) is None]
    assert unplaced == []


def test_imports_follow_the_declared_layers() -> None:
    wrong = []
    for module, tree in _modules(ROOT, "digest").items():
        part = _part(module)
        if part is None:
            continue
        allowed = {part} | FOUNDATION | LAYERS[part]
        for name in _imports(tree):
            if name.split(".")[0] in ("digest_flows", "prefect", "prefect_dask"):
                wrong.append(f"{module} imports {name}")
            target = _part(name) if name.startswith("digest.") else None
            if target is not None and target not in allowed:
                wrong.append(f"{module} imports {name}")
    assert wrong == []


def test_only_the_store_speaks_sql() -> None:
    speakers = set()
    for package, root in (("digest", ROOT), ("digest_flows", FLOWS)):
        for module, tree in _modules(root, package).items():
            if module.startswith("digest.store"):
                continue
            imports = {n.split(".")[0] for n in _imports(tree)}
            strings = [_text(n) for n in ast.walk(tree)
                       if isinstance(n, ast.JoinedStr)
                       or (isinstance(n, ast.Constant) and isinstance(n.value, str))]
            if imports & {"sqlite3", "sqlite_utils"} or any(SQL.search(s) for s in strings):
                speakers.add(module)
    assert speakers == set()


def test_only_config_reads_the_environment() -> None:
    readers = set()
    for module, tree in _modules(ROOT, "digest").items():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
                    and isinstance(node.value, ast.Name) and node.value.id == "os"):
                readers.add(module)
    assert readers == {"digest.config"}


def test_the_sql_check_sees_what_it_must() -> None:
    for text in ("SELECT id FROM articles", "update runs set status = ?",
                 "SELECT article_id, MIN(day) FROM digest_articles", "select distinct a from b",
                 "delete from x", "INSERT INTO t VALUES (1)", "PRAGMA user_version"):
        assert SQL.search(text), text
    for text in ("Select the best sentences from the article", "updated daily"):
        assert not SQL.search(text), text


def _loaded_after(code: str) -> set[str]:
    """The top-level packages loaded once `code` has run in a new interpreter."""
    return {name.split(".")[0] for name in modules_loaded_by(code)}


def test_no_digest_module_imports_prefect() -> None:
    code = "import importlib\n" + "".join(
        f"importlib.import_module({m!r})\n" for m in _modules(ROOT, "digest"))
    assert "prefect" not in _loaded_after(code)


def test_light_commands_load_no_summarizer_or_numerics(tmp_path: Path) -> None:
    config = tmp_path / "d.toml"
    config.write_text(f'[store]\npath = "{tmp_path}/d.db"\n')
    for args in (["--help"], ["sources", "list", "--config", str(config)]):
        code = ("import contextlib, io\nfrom digest_flows.cli import main\n"
                "with contextlib.redirect_stdout(io.StringIO()):\n"
                "    try:\n"
                f"        main({args!r})\n"
                "    except SystemExit:\n"
                "        pass")
        loaded = _loaded_after(code)
        assert not loaded & set(HEAVY), (args, sorted(loaded & set(HEAVY)))


def test_listing_sources_reads_the_store_without_sqlite_utils(tmp_path: Path) -> None:
    """A store already up to date is read with sqlite3 alone: importing sqlite-utils was
    a third of `digest sources list`'s 0.3 s."""
    from digest.store import Store

    config = tmp_path / "d.toml"
    config.write_text(f'[store]\npath = "{tmp_path}/d.db"\n'
                      '[[sources.feeds]]\nurl = "https://example.org/feed.xml"\n')
    with Store(tmp_path / "d.db"):  # made and brought up to date
        pass
    code = ("import contextlib, io\nfrom digest_flows.cli import main\n"
            "out = io.StringIO()\n"
            "with contextlib.redirect_stdout(out):\n"
            f"    assert main(['sources', 'list', '--config', {str(config)!r}]) == 0\n"
            "assert 'example.org' in out.getvalue(), out.getvalue()")
    assert "sqlite_utils" not in _loaded_after(code)
