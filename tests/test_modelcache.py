"""Decoded copies of the packaged models: made once, read back the same, never in the way."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from digest.config import Config, StoreConfig
from digest.pipeline import run_in_process
from digest.text import language, modelcache, rarity

# Written for this test: the same news in four languages.
TEXTS = [
    "The harbour authority said on Monday that the old ferry terminal will reopen in May "
    "after a two-year repair of its pier.",
    "Die Hafenbehörde teilte am Montag mit, dass das alte Fährterminal nach zweijähriger "
    "Reparatur seines Anlegers im Mai wieder öffnet.",
    "L'autorité portuaire a annoncé lundi que l'ancien terminal des ferries rouvrira en mai "
    "après deux ans de réparation de sa jetée.",
    "La autoridad portuaria anunció el lunes que la antigua terminal de ferris reabrirá en "
    "mayo tras dos años de reparación de su muelle.",
]


@pytest.fixture
def fresh_models() -> Iterator[None]:
    """Models loaded anew in the test, and again (from the packages) after it."""
    language._identifier.cache_clear()
    language._DETECTED.clear()  # texts detected before would not need the model
    rarity._frequencies.cache_clear()
    yield
    modelcache.use(None)
    language._identifier.cache_clear()
    rarity._frequencies.cache_clear()


def _parts(identifier: object) -> list[np.ndarray]:
    return [np.asarray(getattr(identifier, name)) for name in (
        "nb_ptc", "nb_pc", "nb_classes", "tk_nextmove", "tk_row", "tk_output", "_rowbase")]


def test_the_language_model_read_back_is_the_packaged_one(tmp_path: Path,
                                                          fresh_models: None) -> None:
    packaged = language._identifier()
    expected = [packaged.classify(text) for text in TEXTS]
    modelcache.use(tmp_path)
    language._identifier.cache_clear()
    made = language._identifier()  # decoded from the package, then kept
    copies = list(tmp_path.glob("py3langid-*.npy"))
    assert len(copies) == 1
    language._identifier.cache_clear()
    read = language._identifier()  # from the copy
    for one, other in ((packaged, made), (packaged, read)):
        for a, b in zip(_parts(one), _parts(other), strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        assert type(one.tk_nextmove) is type(other.tk_nextmove)
    assert [read.classify(text) for text in TEXTS] == expected
    assert language.classify_all(read, TEXTS * 2) == [code for code, _ in expected * 2]


def test_a_damaged_copy_is_made_again(tmp_path: Path, fresh_models: None) -> None:
    modelcache.use(tmp_path)
    language._identifier()
    copy = next(tmp_path.glob("py3langid-*.npy"))
    size = copy.stat().st_size
    copy.write_bytes(copy.read_bytes()[: size // 3])  # cut short, as a full disk would
    language._identifier.cache_clear()
    assert language._identifier().classify(TEXTS[0])[0] == "en"
    assert copy.stat().st_size == size
    assert not list(tmp_path.glob(".*"))  # no half-written file is left behind


def test_a_folder_that_cannot_take_the_copy_is_named_once_and_the_run_goes_on(
    tmp_path: Path, fresh_models: None, caplog: pytest.LogCaptureFixture,
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be", encoding="utf-8")
    modelcache.use(blocked / "cache")
    with caplog.at_level(logging.WARNING):
        assert language.detect(TEXTS[1]) == "german"
        assert rarity.Rarity("english")("the") == 0.0
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2
    assert all(str(blocked / "cache") in w and "decoded again" in w for w in warnings)


def test_word_frequencies_read_back_are_wordfreqs(tmp_path: Path, fresh_models: None) -> None:
    from wordfreq import get_frequency_dict

    modelcache.use(tmp_path)
    made = rarity._frequencies("english")
    (copy,) = tmp_path.glob("wordfreq-large_en-*.marshal")
    rarity._frequencies.cache_clear()
    read = rarity._frequencies("english")
    assert read is not made and read == made == get_frequency_dict("en", "large")
    copy.write_bytes(b"\x00not marshal")
    rarity._frequencies.cache_clear()
    assert rarity._frequencies("english") == made
    assert copy.stat().st_size > 1000  # made again


def test_no_folder_keeps_nothing(tmp_path: Path) -> None:
    modelcache.use(None)
    assert modelcache.path_for("anything", Path(__file__)) is None
    modelcache.use(tmp_path)
    assert modelcache.path_for("missing", tmp_path / "no such file") is None
    modelcache.use(None)


def test_the_cache_is_beside_the_store_unless_configured(tmp_path: Path) -> None:
    assert Config().cache_dir == Path("data/cache")
    config = Config(store=StoreConfig(path=str(tmp_path / "db" / "digest.db")))
    assert config.cache_dir == tmp_path / "db" / "cache"
    assert Config(store=StoreConfig(cache_dir=str(tmp_path / "models"))).cache_dir == (
        tmp_path / "models")


def test_a_run_keeps_its_copies_in_the_configured_folder(
    articles_dir: Path, make_config: Callable[..., Config], tmp_path: Path,
    fresh_models: None,
) -> None:
    config = make_config(articles_dir, extra='[run]\ntask_runner = "threads"\n')
    run_in_process(config, date(2026, 11, 20), send=False)
    kept = sorted(p.name.split("-")[0] for p in (tmp_path / "data" / "cache").iterdir())
    # The decoded models, and the compiled templates of the pages (several files).
    assert sorted(set(kept)) == ["jinja2", "py3langid", "wordfreq"]
    # The next run reads them back (writing nothing): the same digest.
    made = {p: p.stat().st_mtime_ns for p in (tmp_path / "data" / "cache").iterdir()}
    first = (config.output_dir / "2026-11-20" / "digest.txt").read_text()
    language._identifier.cache_clear()
    language._DETECTED.clear()
    rarity._frequencies.cache_clear()
    shutil.rmtree(config.output_dir)
    (tmp_path / "data" / "digest.db").unlink()
    run_in_process(config, date(2026, 11, 20), send=False)
    assert (config.output_dir / "2026-11-20" / "digest.txt").read_text() == first
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "data" / "cache").iterdir()} == made


def test_a_copy_that_fails_midway_leaves_nothing_and_only_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(file: Any) -> None:
        file.write(b"half a model")
        raise AttributeError("the package's model has no such part")

    with caplog.at_level(logging.WARNING):
        modelcache.keep(tmp_path / "copy.npy", broken)
    assert list(tmp_path.iterdir()) == []
    (message,) = [r.getMessage() for r in caplog.records]
    assert f"model cache {tmp_path}: cannot keep copy.npy there" in message
    assert "no such part" in message
