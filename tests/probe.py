"""Run code in a fresh interpreter and see which modules it loaded."""

from __future__ import annotations

import subprocess
import sys


def modules_loaded_by(code: str) -> set[str]:
    """Return the names of the modules loaded once `code` has run in a new Python process."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    return set(done.stdout.split())
