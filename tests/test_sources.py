from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from digest.ingest.folder import article_id, read_folder, split_title


def test_folder_articles_get_title_body_source_and_mtime(articles_dir: Path) -> None:
    stamp = datetime(2026, 11, 20, 6, 30, tzinfo=UTC).timestamp()
    os.utime(articles_dir / "chess-final.txt", (stamp, stamp))
    result = read_folder(articles_dir)
    by_title = {a.title: a for a in result.articles}
    chess = by_title["Teenager wins national chess championship in final round"]
    assert chess.source == "articles"
    assert chess.published == datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
    assert chess.body.split("\n\n")[0].startswith("A sixteen-year-old from Northfield")
    assert len(chess.body.split("\n\n")) == 4
    assert chess.id == article_id("articles", "chess-final.txt")


def test_only_txt_and_md_files_are_read(articles_dir: Path) -> None:
    locations = {Path(a.location).name for a in read_folder(articles_dir).articles}
    assert "harbour-ferry-copy.md" in locations
    assert "notes.csv" not in locations


def test_empty_and_binary_files_are_skipped_with_a_warning_naming_them(articles_dir: Path) -> None:
    result = read_folder(articles_dir)
    messages = [str(p) for p in result.problems]
    assert "articles: empty.txt: empty file skipped" in messages
    assert "articles: pixel.txt: binary file skipped" in messages
    assert len(result.articles) == 7
    assert not result.failed


def test_non_utf8_file_is_decoded_as_cp1252_and_flagged(articles_dir: Path) -> None:
    result = read_folder(articles_dir)
    bakery = next(a for a in result.articles if a.title.startswith("Village bakery"))
    assert "café and bakery" in bakery.body
    assert "didn’t expect" in bakery.body
    assert bakery.flags == ("decoded-cp1252",)
    assert "articles: bakery-cp1252.txt: not UTF-8, decoded as cp1252" in [
        str(p) for p in result.problems
    ]


def test_utf16_and_utf32_text_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    text = "Zürich tram fares fall\n\nThe city cut fares on Monday."
    (tmp_path / "notepad.txt").write_bytes(text.encode("utf-16"))  # BOM, little-endian
    (tmp_path / "big-endian.txt").write_bytes(b"\xfe\xff" + text.encode("utf-16-be"))
    (tmp_path / "wide.txt").write_bytes(text.encode("utf-32"))
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfeT\x00h")  # an odd byte out
    result = read_folder(tmp_path)
    assert [(a.title, a.body, a.flags) for a in result.articles] == [
        ("Zürich tram fares fall", "The city cut fares on Monday.", ())] * 3
    assert [str(p) for p in result.problems] == [
        f"{tmp_path.name}: broken.txt: starts as UTF-16 but is not; skipped"]


def test_markdown_heading_marks_are_not_part_of_the_title(articles_dir: Path) -> None:
    titles = {a.title for a in read_folder(articles_dir).articles}
    assert "Ferry back in service at Eastport harbour" in titles


def test_missing_folder_is_a_failed_source_not_an_exception(tmp_path: Path) -> None:
    result = read_folder(tmp_path / "nowhere")
    assert result.failed
    assert result.articles == ()
    assert "does not exist" in str(result.problems[0])


def test_unreadable_file_is_reported_and_the_rest_still_read(articles_dir: Path) -> None:
    (articles_dir / "broken.txt").symlink_to(articles_dir / "missing-target.txt")
    result = read_folder(articles_dir)
    assert any(p.item == "broken.txt" and "cannot read" in p.message for p in result.problems)
    assert len(result.articles) == 7


def test_lines_are_paragraphs_when_the_text_has_no_blank_lines() -> None:
    title, body = split_title("Title\nFirst para.\nSecond para.\n")
    assert title == "Title"
    assert body == "First para.\n\nSecond para."


def test_wrapped_lines_join_when_blank_lines_separate_paragraphs() -> None:
    _title, body = split_title("Title\n\nOne sentence\nwrapped here.\n\nNext one.\n")
    assert body == "One sentence wrapped here.\n\nNext one."


def test_a_paragraph_as_first_line_gives_its_first_sentence_as_title() -> None:
    first = ("Ukraine is working urgently to strengthen its air defense systems as a temporary "
             "halt to airstrikes is set to expire. The pause was agreed last week by both sides.")
    title, body = split_title(first + "\nMore text.")
    assert title == ("Ukraine is working urgently to strengthen its air defense systems as a "
                     "temporary halt to airstrikes is set to expire.")
    assert body.startswith(first)


def test_ids_are_stable_and_differ_by_source() -> None:
    assert article_id("a", "x.txt") == article_id("a", "x.txt")
    assert article_id("a", "x.txt") != article_id("b", "x.txt")


def _hostile_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "good.txt").write_text("Harbour reopens\n\nThe harbour reopened on Monday.\n")
    os.mkfifo(folder / "pipe.txt")
    (folder / "zero.txt").symlink_to("/dev/zero")
    secret = tmp_path / "secret.txt"
    secret.write_text("Secret\n\nNot for the digest.\n")
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "inside.txt").symlink_to(folder / "good.txt")
    (folder / "huge.txt").write_bytes(b"Huge\n\n" + b"word " * 300_000)
    return folder


def test_a_fifo_a_device_a_link_out_and_a_huge_file_are_reported_not_read(
    tmp_path: Path,
) -> None:
    folder = _hostile_folder(tmp_path)
    result = read_folder(folder, max_bytes=1_000_000)
    assert sorted(a.location.rsplit("/", 1)[-1] for a in result.articles) == [
        "good.txt", "inside.txt"]
    problems = {p.item: p.message for p in result.problems}
    assert "not a regular file" in problems["pipe.txt"]
    assert "outside the folder" in problems["zero.txt"]
    assert "outside the folder" in problems["passwd.txt"]
    assert "max_file_bytes" in problems["huge.txt"]
    assert "Not for the digest" not in " ".join(a.body for a in result.articles)


def test_a_linked_subfolder_is_not_entered(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "real").mkdir(parents=True)
    (folder / "real" / "kept.txt").write_text("Kept\n\nA file in a real subfolder.\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "private.txt").write_text("Private\n\nNot for the digest.\n")
    (folder / "linked").symlink_to(outside, target_is_directory=True)
    for follow in (False, True):
        result = read_folder(folder, follow_links=follow)
        assert [a.title for a in result.articles] == ["Kept"]


def test_a_file_swapped_for_a_link_after_the_listing_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = _hostile_folder(tmp_path)
    # As if passwd.txt were a plain file when the folder was listed and a
    # link to the secret when it is opened.
    real_is_symlink = Path.is_symlink
    monkeypatch.setattr(Path, "is_symlink",
                        lambda self: self.name != "passwd.txt" and real_is_symlink(self))
    result = read_folder(folder, max_bytes=1_000_000)
    assert "a link now" in {p.item: p.message for p in result.problems}["passwd.txt"]
    assert "Not for the digest" not in " ".join(a.body for a in result.articles)
    assert "inside.txt" in {a.location.rsplit("/", 1)[-1] for a in result.articles}


def test_links_out_of_the_folder_are_read_when_allowed(tmp_path: Path) -> None:
    folder = _hostile_folder(tmp_path)
    result = read_folder(folder, max_bytes=1_000_000, follow_links=True)
    assert "Secret" in {a.title for a in result.articles}
    # Followed, a link to a device is still not a regular file.
    assert "not a regular file" in {p.item: p.message for p in result.problems}["zero.txt"]


def test_subfolders_are_read_unless_turned_off(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "2026" / "11").mkdir(parents=True)
    (folder / ".git").mkdir()
    (folder / "2026" / "11" / "ferry.txt").write_text("Ferry back\n\nThe ferry is back.\n")
    (folder / ".git" / "note.txt").write_text("Hidden\n\nNot news.\n")
    titles = {a.title for a in read_folder(folder).articles}
    assert titles == {"Ferry back"}
    assert read_folder(folder, recursive=False).articles == ()


def test_a_folder_with_nothing_to_read_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "2026").mkdir(parents=True)
    (folder / "2026" / "one.txt").write_text("A title\n\nA body.\n", encoding="utf-8")
    flat = read_folder(folder, recursive=False)
    assert flat.articles == () and not flat.failed
    assert [str(p) for p in flat.problems] == [
        f"inbox: no .txt or .md files in {folder}; its 1 subfolders are not read "
        "([sources] recursive = false)"]
    assert len(read_folder(folder).articles) == 1 and read_folder(folder).problems == ()
