from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import digest

MODULES = sorted(p.stem for p in Path(digest.__file__).parent.glob("*.py") if p.stem != "__init__")


def test_no_digest_module_imports_prefect() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {MODULES!r}:\n"
        "    importlib.import_module('digest.' + name)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'prefect'], 'prefect imported'\n"
        "print(len(sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "cli" in MODULES and "store" in MODULES


def test_only_the_store_speaks_sql() -> None:
    root = Path(digest.__file__).parent
    speakers = [p.name for p in root.glob("*.py")
                if any(word in p.read_text() for word in ("SELECT ", "INSERT ", "DELETE FROM"))]
    assert speakers == ["store.py"]
