"""A real, non-editable install: the package works without this checkout beside it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# End to end (a Prefect server, processes, installs): `make test-all`, not `make test`.
pytestmark = pytest.mark.slow

REPO = Path(__file__).parent.parent
LEFT_OUT = shutil.ignore_patterns(".venv", ".git", "out", "data", "build", "*.egg-info",
                                  "__pycache__", ".*_cache", "tests", "bench")


def test_an_installed_wheel_makes_the_seeds_digest_from_another_folder(tmp_path: Path) -> None:
    # Built from a copy, so the checkout gets no build/ folder.
    source = tmp_path / "source"
    shutil.copytree(REPO, source, ignore=LEFT_OUT, symlinks=True)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--no-build-isolation", "--target", str(site), str(source)],
                   check=True, capture_output=True, timeout=300)
    assert (site / "digest" / "publish" / "templates" / "digest.html.j2").exists()
    assert not (site / "flows").exists()  # installed as digest_flows: no clash
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "digest.toml").write_text(
        f'[sources]\nfolders = ["{REPO / "seeds"}"]\n'
        f'[store]\npath = "{tmp_path}/state/digest.db"\n[output]\ndir = "{tmp_path}/out"\n')
    probe = ("import sys, digest, digest_flows\n"
             f"assert digest.__file__.startswith({str(site)!r}), digest.__file__\n"
             f"assert digest_flows.__file__.startswith({str(site)!r})\n"
             "from digest_flows.cli import main\n"
             "sys.exit(main(['run', '--without-prefect', '--config', 'digest.toml']))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "3 articles read, 3 new" in done.stdout
    [page] = (tmp_path / "out").glob("*/digest.html")
    assert "Pentagon Chief Urges Air Defense Aid for Ukraine Ahead of Winter" in page.read_text()
