from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from digest.cli import main
from digest.config import Config


def test_run_prints_where_the_digest_is_and_a_summary(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_config(articles_dir)
    code = main(["run", "--without-prefect", "--date", "2026-11-20",
                 "--config", str(tmp_path / "digest.toml")])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Digest for 2026-11-20: {tmp_path}/out/2026-11-20/digest.html" in out
    assert "7 articles read, 6 new, 1 duplicates dropped, 6 in the digest" in out
    assert (tmp_path / "out" / "2026-11-20" / "digest.txt").exists()


def test_config_errors_print_one_line_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[summary]\nalgorithm = "magic"\n', encoding="utf-8")
    assert main(["run", "--config", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"ConfigError: {bad}: [summary] algorithm 'magic' is unknown")
    assert err.count("\n") == 1


def test_bad_date_is_rejected_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--date", "20-11-2026"])
    assert exit_info.value.code == 2
    assert "'20-11-2026' is not a date (use YYYY-MM-DD)" in capsys.readouterr().err


def test_help_has_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "digest run --date 2026-11-20" in capsys.readouterr().out
