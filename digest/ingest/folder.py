"""Read articles from sources: a folder of .txt and .md files (feeds come later)."""

from __future__ import annotations

import codecs
import errno
import hashlib
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path

from digest.models import Article, IngestResult, SourceProblem

ARTICLE_SUFFIXES = (".txt", ".md")
# The default of [sources] max_file_bytes.
MAX_FILE_BYTES = 5_000_000
# Bytes looked at to tell text from binary, as `file` and git do.
_SNIFF_BYTES = 8192
# Byte order marks of the wide encodings, whose text is full of NUL bytes
# (UTF-32's first, since its little-endian mark starts like UTF-16's).
_WIDE_CODECS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_WIDE_BOMS = tuple(bom for bom, _ in _WIDE_CODECS)
# A first line longer than this is a paragraph, not a headline: the title is
# then its first sentence and the line stays in the body.
LONGEST_HEADLINE_LINE = 160
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(?:\s|$)")
_MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")


def path_text(path: str | Path) -> str:
    """Return a path as text that can be stored and shown: a byte of a file name that is
    not UTF-8 becomes its escape ("bad\\xffname.txt"), so two such names stay apart."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def article_id(source: str, key: str) -> str:
    """Return a stable id for the item `key` (a file name, a feed GUID) of `source`."""
    return hashlib.sha256(f"{source}\0{key}".encode()).hexdigest()[:16]


def read_folder(
    folder: str | Path, source: str | None = None, max_bytes: int = MAX_FILE_BYTES,
    follow_links: bool = False, recursive: bool = True,
) -> IngestResult:
    """Read every .txt and .md file in `folder` (and its subfolders) into articles.

    Files that cannot be used (empty, binary, unreadable, not a regular file,
    larger than `max_bytes`, a link leading out of the folder unless
    `follow_links`) become problems that name the file; the other files are
    still read.
    """
    path = Path(folder)
    name = source or path_text(path.resolve().name)
    if not path.is_dir():
        problem = SourceProblem(name, "",
                                f"folder {path_text(path)} does not exist or is not a folder")
        return IngestResult(name, path_text(path), problems=(problem,), failed=True)
    articles: list[Article] = []
    problems: list[SourceProblem] = []
    found = path.rglob("*") if recursive else path.iterdir()
    files = sorted(p for p in found if p.suffix.lower() in ARTICLE_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(path).parts))
    inside = path.resolve()
    for file in files:
        try:
            # Only a link can lead out of the folder: the walk does not enter
            # linked subfolders, so a file that is not a link is inside it (and
            # is opened so that a link put in its place since is refused).
            link = file.is_symlink()
            if not follow_links and link and not file.resolve().is_relative_to(inside):
                raise ValueError("links outside the folder; refused "
                                 "(set [sources] follow_links = true to read it)")
            article = read_article_file(file, name, max_bytes,
                                        key=path_text(file.relative_to(path).as_posix()),
                                        follow=follow_links or link)
        except ValueError as exc:
            problems.append(SourceProblem(name, _shown(file, path), str(exc)))
            continue
        except OSError as exc:
            problems.append(SourceProblem(name, _shown(file, path),
                                          f"cannot read ({exc.strerror})"))
            continue
        if "decoded-cp1252" in article.flags:
            problems.append(SourceProblem(name, _shown(file, path),
                                          "not UTF-8, decoded as cp1252"))
        articles.append(article)
    if not files:
        subfolders = sum(1 for p in path.iterdir() if p.is_dir() and not p.name.startswith("."))
        why = (f"; its {subfolders} subfolders are not read ([sources] recursive = false)"
               if subfolders and not recursive else "")
        problems.append(SourceProblem(name, "", f"no .txt or .md files in {path_text(path)}{why}"))
    return IngestResult(name, path_text(path), tuple(articles), tuple(problems))


def _shown(file: Path, folder: Path) -> str:
    """Return the file's path in the folder for a one-line problem (control characters quoted)."""
    name = path_text(file.relative_to(folder).as_posix())
    return repr(name) if any(ord(c) < 32 or ord(c) == 127 for c in name) else name


def read_article_file(
    file: Path, source: str, max_bytes: int = MAX_FILE_BYTES, key: str | None = None,
    follow: bool = True,
) -> Article:
    """Return the article in `file`; raise ValueError saying why it is unusable.

    Only a regular file is read (never a FIFO, a device or a socket: it is
    opened without blocking and checked before any read), and never more than
    `max_bytes`. Unless `follow`, a file that is a link is refused.
    """
    raw, modified = _read_regular(file, max_bytes, follow)
    if b"\0" in raw[:_SNIFF_BYTES] and not raw.startswith(_WIDE_BOMS):
        raise ValueError("binary file skipped")
    text, flags = decode_text(raw)
    title, body = split_title(text, markdown=file.suffix.lower() == ".md")
    if not title:
        raise ValueError("empty file skipped")
    published = datetime.fromtimestamp(modified, tz=UTC)
    return Article(
        # The path inside the folder: a top-level file's id is its name, as before.
        id=article_id(source, key or path_text(file.name)),
        source=source,
        title=title,
        body=body,
        published=published,
        location=path_text(file),
        flags=flags,
    )


def _read_regular(file: Path, max_bytes: int, follow: bool = True) -> tuple[bytes, float]:
    """Return the bytes and modification time of the regular file `file`."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        descriptor = os.open(file, flags)
    except OSError as exc:
        if not follow and exc.errno == errno.ELOOP:
            raise ValueError("a link now, not when the folder was listed; skipped") from None
        raise
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError("not a regular file (a FIFO, device or socket); skipped")
        if status.st_size > max_bytes:
            raise ValueError(f"{status.st_size:,} bytes, more than the {max_bytes:,} of "
                             "[sources] max_file_bytes; skipped")
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:  # grew while we read it
            raise ValueError(f"more than the {max_bytes:,} bytes of [sources] "
                             "max_file_bytes; skipped")
        return raw, status.st_mtime
    finally:
        os.close(descriptor)


def decode_text(raw: bytes) -> tuple[str, tuple[str, ...]]:
    """Return `raw` decoded (UTF-8, else cp1252, else Latin-1) and the flags saying which.

    A file that starts with a UTF-16 or UTF-32 byte order mark (Windows
    editors save "Unicode" text so) is read in that encoding.
    """
    for bom, codec in _WIDE_CODECS:
        if raw.startswith(bom):
            try:
                return raw.decode(codec), ()
            except UnicodeDecodeError:
                raise ValueError(f"starts as {codec.upper()} but is not; skipped") from None
    try:
        return raw.decode("utf-8-sig"), ()
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), ("decoded-cp1252",)
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; Latin-1 maps every byte.
        return raw.decode("latin-1"), ("decoded-cp1252",)


def split_title(text: str, markdown: bool = False) -> tuple[str, str]:
    """Return (title, body): the first non-empty line and the rest, paragraphs kept.

    Paragraphs are separated by blank lines when the text has any; otherwise
    every line is a paragraph. The body comes back with paragraphs separated by
    one blank line.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    if not lines:
        return "", ""
    first = lines.pop(0).strip()
    if markdown:
        first = _MARKDOWN_HEADING.sub("", first)
    title = first
    if len(first) > LONGEST_HEADLINE_LINE:
        title = _headline_from_paragraph(first)
        lines.insert(0, first)
    return title, "\n\n".join(_paragraphs(lines))


def _headline_from_paragraph(paragraph: str) -> str:
    match = _FIRST_SENTENCE.match(paragraph)
    sentence = match.group(1) if match else paragraph
    if len(sentence) <= LONGEST_HEADLINE_LINE:
        return sentence
    cut = sentence[:LONGEST_HEADLINE_LINE].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _paragraphs(lines: list[str]) -> list[str]:
    if not any(not line.strip() for line in _trimmed(lines)):
        return [" ".join(line.split()) for line in lines if line.strip()]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(" ".join(current).split()))
            current = []
    if current:
        paragraphs.append(" ".join(" ".join(current).split()))
    return paragraphs


def _trimmed(lines: list[str]) -> list[str]:
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = len(lines) - next((i for i, line in enumerate(reversed(lines)) if line.strip()), 0)
    return lines[start:end]
