"""The SQLite store: sources, articles, summaries, runs and digests (sqlite-utils)."""

from __future__ import annotations

import dataclasses
import fcntl
import functools
import inspect
import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from digest.errors import StoreError
from digest.models import (
    Article,
    ArticleSummary,
    Cleaned,
    DigestCounts,
    DigestRecord,
    Duplicate,
    FeedState,
    IngestResult,
    SearchHit,
    SourceRecord,
    StoredKeys,
    feed_name,
)
from digest.store.schema import SCHEMA_VERSION, migrate

if TYPE_CHECKING:
    import sqlite_utils

T = TypeVar("T")

# SQLite's limit on bound variables was 999 before 3.32; stay under it.
_CHUNK = 900


# How long a write waits for another run's write to finish.
BUSY_SECONDS = 60.0


def _alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


@contextmanager
def _file_lock(path: Path, wait: float, busy: str) -> Iterator[None]:
    """Hold an exclusive OS lock on `path`, waiting up to `wait` seconds for it.

    The kernel releases it when the process ends, however it ends.
    """
    with open(path, "a+b") as handle:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(f"{busy} (waited {wait:g} s); try again when it is "
                                     "done") from None
                time.sleep(0.1)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _one_line_errors(cls: type[T]) -> type[T]:
    """Make every public method of `cls` raise StoreError, one line naming the store, for
    any SQLite failure (a locked or corrupt database, a full disk, a read-only file)."""
    for name, method in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(method) or inspect.isgeneratorfunction(
                inspect.unwrap(method)):
            continue
        setattr(cls, name, _wrapped(name, method))
    return cls


def _wrapped(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    action = name.replace("_", " ")

    @functools.wraps(method)
    def call(self: Store, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {action} failed ({_reason(exc)})") from None
    return call


@_one_line_errors
class Store:
    """Everything the pipeline keeps between runs, in one SQLite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Every write transaction starts IMMEDIATE: it takes the write lock
            # first and waits up to BUSY_SECONDS for another run to finish. A
            # deferred one that reads and then writes gets "database is
            # locked" at once instead (SQLite cannot wait without deadlock).
            self.conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS,
                                        isolation_level="IMMEDIATE", check_same_thread=False)
            self._db: sqlite_utils.Database | None = None
            # Runs starting together set the store up one at a time (switching
            # to WAL needs the database to themselves).
            with _file_lock(self.path.with_name(self.path.name + ".schema-lock"),
                            BUSY_SECONDS, f"{self.path}: another run holds the store"):
                self.conn.execute("PRAGMA journal_mode=WAL")
                # Up to date already: nothing to write (`migrate` checks again
                # inside its write transaction, should another run get there first).
                if self.conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                    with self._write():
                        migrate(self.db, str(self.path))
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"{self.path}: cannot open the store ({_reason(exc)})") from None

    @property
    def db(self) -> sqlite_utils.Database:
        """sqlite-utils on this store's connection, imported at first use (writes; reads
        go through `conn`): importing it costs a light command about a third of its time."""
        if self._db is None:
            self._db = _database(self.conn)
        return self._db

    def close(self) -> None:
        self.conn.close()

    def transaction(self) -> AbstractContextManager[None]:
        """Return a block in which every write is one transaction (all or nothing)."""
        return self._write()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """Run the block in one write transaction that takes the write lock first.

        BEGIN IMMEDIATE waits (up to BUSY_SECONDS) for another run's write. A
        deferred BEGIN, as sqlite-utils issues on its own, reads first and
        then fails at once with "database is locked" when it must upgrade.
        Inside, sqlite-utils nests its own steps as savepoints.
        """
        if self.conn.in_transaction:
            yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write ({_reason(exc)})") from None
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        try:
            self.conn.commit()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot write ({_reason(exc)})") from None

    def _rows(self, sql: str, parameters: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Return the rows of `sql` as dicts by column, read with sqlite3 alone."""
        cursor = self.conn.execute(sql, parameters)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _insert(self, table: str, rows: Sequence[Mapping[str, Any]], conflict: str) -> None:
        """Insert `rows` (dicts with the same keys) in one statement; `conflict` is what
        a row whose key is taken does: "IGNORE" (it is dropped), "REPLACE" (it wins)
        or "ABORT" (the statement fails).

        sqlite-utils' insert_all inspects every value of every row first, which
        cost the day's write more than SQLite itself (bench/README.md, "The
        store's write"); the store's tables and their columns are known.
        """
        if not rows:
            return
        columns = list(rows[0])
        self.conn.executemany(f"INSERT OR {conflict} INTO {table} ({', '.join(columns)}) "
                              f"VALUES ({', '.join(':' + c for c in columns)})", rows)

    def _in(self, sql: str, values: Sequence[Any], before: Sequence[Any] = ()) -> list[Any]:
        """Return the rows of `sql`, whose "{marks}" stands for `values`, asked in chunks.

        `before` are parameters that come ahead of the marks in `sql`.
        """
        rows: list[Any] = []
        for start in range(0, len(values), _CHUNK):
            chunk = list(values[start:start + _CHUNK])
            rows += self.conn.execute(sql.format(marks=",".join("?" * len(chunk))),
                                      [*before, *chunk]).fetchall()
        return rows

    # sources

    def record_source(self, result: IngestResult, when: datetime, kind: str = "folder") -> None:
        """Record how reading one source went."""
        stamp = _iso(when)
        row: dict[str, Any] = {
            "name": result.source, "kind": kind, "location": result.location,
            "last_read": stamp, "articles": len(result.articles),
            "problems": len(result.problems),
            "last_error": "; ".join(str(p) for p in result.problems) or None,
        }
        if not result.failed:
            row["last_success"] = stamp
        with self._write():
            self.db.table("sources").upsert(row, pk="location")

    def sources(self) -> list[SourceRecord]:
        """Return every source read so far, with how its last read went."""
        return [SourceRecord(r["name"], r["kind"], r["location"], r["articles"] or 0,
                             r["problems"] or 0, r["last_read"], r["last_success"],
                             r["last_error"])
                for r in self._rows("SELECT * FROM sources ORDER BY kind, name")]

    # feeds

    def feed_states(self, configured: Sequence[FeedState]) -> list[FeedState]:
        """Return the state of every feed: those configured, then those added by OPML import.

        A configured feed is given with its settings (url, name, full_text); its
        name, when not set, is the stored one, else its host.
        """
        stored = {row["url"]: row for row in self._rows("SELECT * FROM feeds")}
        states = []
        for feed in configured:
            row = stored.pop(feed.url, None)
            name = feed.name or (row["name"] if row else "") or feed_name(feed.url)
            states.append(_feed_state(row, feed.url, name, feed.full_text, feed.category))
        for url, row in sorted(stored.items()):
            if row["origin"] != "config":
                states.append(_feed_state(row, url, row["name"], bool(row["full_text"])))
        return states

    def save_feed_state(self, state: FeedState, origin: str = "config") -> None:
        """Store what one fetch learned about a feed."""
        row = {f.name: getattr(state, f.name) for f in dataclasses.fields(FeedState)}
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = _iso(value)
            elif isinstance(value, bool):
                row[key] = int(value)
        existing = self.conn.execute("SELECT origin FROM feeds WHERE url = ?",
                                     [state.url]).fetchone()
        row["origin"] = existing[0] if existing else origin
        with self._write():
            self.db.table("feeds").upsert(row, pk="url")

    def add_feeds(self, feeds: Sequence[FeedState], origin: str) -> int:
        """Register feeds (from an OPML import); return how many were not known yet."""
        known = {r[0] for r in self.conn.execute("SELECT url FROM feeds").fetchall()}
        rows = [{"url": f.url, "name": f.name or feed_name(f.url), "origin": origin,
                 "full_text": int(f.full_text), "consecutive_errors": 0, "gone": 0, "items": 0,
                 "category": f.category, "site_url": f.site_url}
                for f in feeds if f.url not in known]
        with self._write():
            self.db.table("feeds").insert_all(rows, pk="url", ignore=True)
        return len({r["url"] for r in rows})

    def feed_origins(self) -> dict[str, str]:
        """Return {feed url: where it came from} ("config", "opml", "command")."""
        return dict(self.conn.execute("SELECT url, origin FROM feeds").fetchall())

    def remove_feed(self, url: str) -> bool:
        """Forget a feed added by import or command (its stored articles stay); return if known."""
        with self._write():
            cursor = self.db.execute("DELETE FROM feeds WHERE url = ? AND origin != 'config'",
                                     [url])
        return bool(cursor.rowcount)

    def set_feed(self, state: FeedState, **changes: Any) -> FeedState:
        """Store `state` with `changes` (paused, gone...), keeping its origin; return it."""
        changed = dataclasses.replace(state, **changes)
        self.save_feed_state(changed)
        return changed

    def full_text_bodies(self, feed_url: str) -> dict[str, str]:
        """Return id -> body of this feed's stored items whose full text was fetched."""
        rows = self.conn.execute(
            "SELECT id, body FROM articles WHERE location = ? AND flags LIKE '%\"full-text\"%'",
            [feed_url],
        ).fetchall()
        return dict(rows)

    # articles

    def stored_keys(self, articles: Sequence[Article]) -> StoredKeys:
        """Return which of the articles' URL keys and content hashes are stored, and for whom."""
        url_keys = sorted({a.url_key for a in articles if a.url_key})
        hashes = sorted({a.content_hash for a in articles})
        by_url = dict(self._lookup("url_key", url_keys))
        by_hash = dict(self._lookup("content_hash", hashes))
        return StoredKeys(by_url=by_url, by_hash=by_hash)

    def _lookup(self, column: str, values: Sequence[str]) -> list[tuple[str, str]]:
        # Earliest first_seen wins when several stored articles share a key (it comes last).
        return self._in(f"SELECT {column}, id FROM articles WHERE {column} IN ({{marks}}) "
                        "ORDER BY first_seen DESC, id DESC", values)

    def save_articles(self, articles: Sequence[Article], now: datetime) -> int:
        """Insert new articles and update changed ones; return how many were new.

        An article's first_seen never changes once stored. Articles carry their
        keys (set at cleaning); one without is refused.
        """
        unkeyed = [a.id for a in articles if not a.content_hash]
        if unkeyed:
            raise StoreError(f"{self.path}: article {unkeyed[0]} has no content hash "
                             "(articles are stored after cleaning)")
        existing = {r[0]: (r[1], r[2]) for r in self._in(
            "SELECT id, content_hash, read_hash FROM articles WHERE id IN ({marks})",
            [a.id for a in articles])}
        new_rows, changed_rows = [], []
        for article in articles:
            row = _article_row(article, now)
            if article.id not in existing:
                new_rows.append({**row, "first_seen": _iso(now)})
            elif existing[article.id] != (row["content_hash"], row["read_hash"]):
                changed_rows.append(row)
        with self._write():
            # New rows take rowids above the largest (SQLite's rowid rule), and
            # the full-text index takes them in one statement: a trigger per
            # row cost two and a half times as much (bench/README.md, "The
            # store's write").
            before = self.conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM articles"
                                       ).fetchone()[0]
            self._insert("articles", new_rows, "IGNORE")
            self.conn.execute("INSERT INTO articles_fts (rowid, title, body) SELECT rowid, "
                              "title, body FROM articles WHERE rowid > ?", [before])
            for row in changed_rows:
                self.db.table("articles").update(row["id"], row)
        return len(new_rows)

    def cleaned(self, read_hashes: Mapping[str, str]) -> dict[str, Cleaned]:
        """Return what cleaning made of the articles read exactly so before, by id.

        `read_hashes` is {id: read hash}. Stored articles and dropped
        duplicates both keep their cleaned text, keys and language under the
        hash of what was read and of the cleaning rules: when it is the same,
        they stand.
        """
        ids = sorted(read_hashes)
        found: dict[str, Cleaned] = {}
        # An article's own row last: a duplicate that became an article since
        # may have both, and the same read hash means the same cleaning.
        for table in ("duplicates", "articles"):
            for row in self._in(f"SELECT id, title, body, language, url_key, content_hash, "
                                f"read_hash FROM {table} WHERE id IN ({{marks}})", ids):
                article_id, title, body, language, url_key, content_hash, read_hash = row
                if read_hash and read_hash == read_hashes[article_id]:
                    found[article_id] = Cleaned(title, body, language, url_key or "",
                                                content_hash, read_hash)
        return found

    def existing_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """Return {id: stored content hash} for the ids among `ids` already stored."""
        return dict(self._in("SELECT id, content_hash FROM articles WHERE id IN ({marks})",
                             ids))

    def save_duplicates(self, duplicates: Iterable[Duplicate], now: datetime) -> None:
        """Record dropped duplicates, keeping the first time each was seen.

        Each also keeps what cleaning made of its latest read (`cleaned`), so
        that reading it again unchanged does not clean it again.
        """
        rows = [
            {"id": d.article.id, "duplicate_of": d.duplicate_of, "reason": d.reason,
             "source": d.article.source, "title": d.article.title, "url": d.article.url,
             "first_seen": _iso(now), "read_hash": d.article.read_hash, "body": d.article.body,
             "language": d.article.language, "url_key": d.article.url_key,
             "content_hash": d.article.content_hash}
            for d in duplicates
        ]
        # One statement a row: a row seen before keeps its first sighting and
        # takes the cleaned form (and title) of this read, when that differs.
        with self._write():
            self.conn.executemany(
                "INSERT INTO duplicates (id, duplicate_of, reason, source, title, url, "
                "first_seen, read_hash, body, language, url_key, content_hash) "
                "VALUES (:id, :duplicate_of, :reason, :source, :title, :url, :first_seen, "
                ":read_hash, :body, :language, :url_key, :content_hash) "
                "ON CONFLICT(id) DO UPDATE SET title = excluded.title, "
                "read_hash = excluded.read_hash, body = excluded.body, "
                "language = excluded.language, url_key = excluded.url_key, "
                "content_hash = excluded.content_hash "
                "WHERE duplicates.read_hash != excluded.read_hash", rows)

    def in_earlier_digests(self, ids: Sequence[str], day: date) -> set[str]:
        """Return the ids among `ids` that appeared in a digest before `day`."""
        rows = self._in("SELECT DISTINCT article_id FROM digest_articles "
                        "WHERE day < ? AND article_id IN ({marks})", ids, [day.isoformat()])
        return {r[0] for r in rows}

    def articles_for_day(self, day: date, start: datetime, end: datetime) -> list[Article]:
        """Return stored articles published in [start, end) and those in `day`'s digest.

        This is what a digest for a past day is rebuilt from (a backfill), and
        what keeps a rerun's digest whole when a source no longer has an item.
        """
        return self._articles(
            "(published >= ? AND published < ?) "
            "OR id IN (SELECT article_id FROM digest_articles WHERE day = ?)",
            [_iso(start), _iso(end), day.isoformat()])

    def recently_shown(self, day: date, since: date) -> dict[str, date]:
        """Return {article id: the first day it was in a digest} for digests in [since, day)."""
        rows = self.conn.execute(
            "SELECT article_id, MIN(day) FROM digest_articles WHERE day >= ? AND day < ? "
            "GROUP BY article_id", [since.isoformat(), day.isoformat()]).fetchall()
        return {r[0]: date.fromisoformat(r[1]) for r in rows}

    def articles_by_id(self, ids: Sequence[str]) -> list[Article]:
        """Return the stored articles with these ids (in id order)."""
        rows = self._in(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({{marks}})",
                        list(ids))
        return sorted(map(_article, rows), key=lambda a: a.id)

    def _articles(self, where: str, parameters: list[Any]) -> list[Article]:
        rows = self.conn.execute(
            f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE {where} ORDER BY id",
            parameters).fetchall()
        return [_article(r) for r in rows]

    def digest_article_ids(self, day: date) -> set[str]:
        """Return the ids of the articles in `day`'s digest as last written."""
        rows = self.conn.execute("SELECT article_id FROM digest_articles WHERE day = ?",
                                 [day.isoformat()]).fetchall()
        return {r[0] for r in rows}

    def search(
        self, query: str, limit: int = 20, since: datetime | None = None,
        source: str | None = None,
    ) -> list[SearchHit]:
        """Return stored articles matching `query` in title or text, best first (bm25).

        The words of `query` must all occur (any case, any order); "quoted
        words" must occur together. Operators of SQLite's FTS5 syntax are read
        as plain words.
        """
        where, parameters = ["articles_fts MATCH ?"], [self.db.quote_fts(query)]
        if since is not None:
            where.append("a.published >= ?")
            parameters.append(_iso(since))
        if source is not None:
            where.append("a.source = ?")
            parameters.append(source)
        rows = self.conn.execute(
            "SELECT a.id, a.title, a.source, a.published, a.url, "
            "snippet(articles_fts, -1, '[', ']', '…', 16), "
            "(SELECT MIN(day) FROM digest_articles d WHERE d.article_id = a.id) "
            "FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid "
            f"WHERE {' AND '.join(where)} ORDER BY bm25(articles_fts), a.published DESC "
            "LIMIT ?", [*parameters, limit]).fetchall()
        return [SearchHit(r[0], r[1], r[2], datetime.fromisoformat(r[3]), r[4],
                          " ".join(r[5].split()), date.fromisoformat(r[6]) if r[6] else None)
                for r in rows]

    # summaries

    def cached_summaries(self, keys: Mapping[str, str]) -> dict[str, ArticleSummary]:
        """Return the stored summaries for {article id: summary key}, by article id."""
        by_key: dict[str, list[str]] = {}
        for article_id, key in keys.items():
            by_key.setdefault(key, []).append(article_id)
        found: dict[str, ArticleSummary] = {}
        rows = self._in("SELECT key, algorithm, sentences, whole FROM summaries "
                        "WHERE key IN ({marks})", sorted(by_key))
        for key, algorithm, sentences, whole in rows:
            for article_id in by_key[key]:
                found[article_id] = ArticleSummary(
                    article_id, tuple(json.loads(sentences)), algorithm, bool(whole))
        return found

    def save_summaries(
        self, made: Iterable[tuple[str, ArticleSummary]], length: int, language: str,
        now: datetime,
    ) -> None:
        """Cache summaries under their keys: (key, summary) pairs."""
        rows = [
            {"key": key, "algorithm": summary.algorithm, "length": length,
             "language": language, "sentences": json.dumps(summary.sentences,
                                                           ensure_ascii=False),
             "whole": int(summary.whole), "created": _iso(now)}
            for key, summary in made
        ]
        with self._write():
            self._insert("summaries", rows, "REPLACE")

    # whole-day results kept for reruns

    def computed(self, key: str) -> str | None:
        """Return the result stored under `key` (a hash of its inputs), if any."""
        row = self.conn.execute("SELECT value FROM computed WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def save_computed(self, kind: str, key: str, value: str, now: datetime,
                      keep_days: int = 30) -> None:
        """Store a result of `kind` under `key`; results of that kind not saved for
        `keep_days` days go."""
        with self._write():
            self.db.execute("DELETE FROM computed WHERE kind = ? AND saved < ?",
                            [kind, _iso(now - timedelta(days=keep_days))])
            self.db.table("computed").insert(
                {"key": key, "kind": kind, "value": value, "saved": _iso(now)},
                pk="key", replace=True)

    def leads(self, keys: Sequence[str]) -> dict[str, bytes]:
        """Return the stored story leads under these keys, by key."""
        return {k: bytes(v) for k, v in self._in(
            "SELECT key, value FROM leads WHERE key IN ({marks})", sorted(set(keys)))}

    def save_leads(self, leads: Iterable[tuple[str, bytes]], now: datetime,
                   keep_days: int = 7) -> None:
        """Store story leads (key, encoded lead); leads not saved for `keep_days` days go."""
        with self._write():
            self.db.execute("DELETE FROM leads WHERE saved < ?",
                            [_iso(now - timedelta(days=keep_days))])
            saved = _iso(now)
            self._insert("leads", [{"key": k, "value": v, "saved": saved} for k, v in leads],
                         "REPLACE")

    # runs

    def start_run(self, day: date, started: datetime) -> int:
        """Record that a run for `day` started; return its id.

        Runs of this machine still marked running whose process is gone (it
        was killed) are marked abandoned first.
        """
        host = socket.gethostname()
        with self._write():
            rows = self.conn.execute("SELECT id, pid FROM runs WHERE status = 'running' "
                                     "AND host = ?", [host]).fetchall()
            dead = [run for run, pid in rows if pid and not _alive(int(pid))]
            for run in dead:
                self.db.execute("UPDATE runs SET status = 'abandoned', finished = ? "
                                "WHERE id = ?", [_iso(started), run])
            cursor = self.db.execute(
                "INSERT INTO runs (day, started, status, host, pid) "
                "VALUES (?, ?, 'running', ?, ?)",
                [day.isoformat(), _iso(started), host, os.getpid()],
            )
        return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, status: str, counts: DigestCounts, errors: Sequence[str],
        finished: datetime,
    ) -> None:
        """Record how a run ended."""
        with self._write():
            self.db.table("runs").update(run_id, {
                "finished": _iso(finished), "status": status, "read": counts.read,
                "new": counts.new, "duplicates": counts.duplicates, "articles": counts.articles,
                "themes": counts.themes, "sources": counts.sources, "stories": counts.stories,
                "errors": json.dumps(list(errors), ensure_ascii=False),
            })

    # digests

    def save_digest(
        self, day: date, html_path: str, text_path: str, article_ids: Sequence[str],
        themes: int, now: datetime,
    ) -> None:
        """Record the digest of `day` (replacing an earlier one for the same day)."""
        key = day.isoformat()
        with self._write():
            self.db.execute("DELETE FROM digest_articles WHERE day = ?", [key])
            self._insert("digest_articles", [{"day": key, "article_id": a, "position": i}
                                             for i, a in enumerate(article_ids)], "ABORT")
            previous = self.conn.execute(
                "SELECT created FROM digests WHERE day = ?", [key]).fetchone()
            self.db.table("digests").upsert({
                "day": key, "html_path": html_path, "text_path": text_path,
                "articles": len(article_ids), "themes": themes,
                "created": previous[0] if previous else _iso(now), "updated": _iso(now),
            }, pk="day")

    def has_digest(self, day: date) -> bool:
        """Whether a digest of `day` was written already."""
        return self.conn.execute("SELECT 1 FROM digests WHERE day = ?",
                                 [day.isoformat()]).fetchone() is not None

    # deliveries

    def delivered(self, day: date) -> set[str]:
        """Return the recipients who were sent `day`'s digest (the server accepted it)."""
        return {r for r, (status, _, _) in self.delivery_states(day).items() if status == "sent"}

    def delivery_states(self, day: date) -> dict[str, tuple[str, int, str]]:
        """Return each recipient's (status, attempt, Message-ID) for `day`.

        Status "sent": the server accepted it. "sending": a run handed the
        message to the server and stopped before it knew the outcome.
        "ready": a run recorded its intent to send and stopped before it
        handed the message over (it was not sent).
        """
        rows = self.conn.execute(
            "SELECT recipient, status, attempt, message_id FROM deliveries WHERE day = ?",
            [day.isoformat()]).fetchall()
        return {r[0]: (r[1], int(r[2]), r[3]) for r in rows}

    def record_intent(
        self, day: date, recipient: str, message_id: str, attempt: int, subject: str,
        when: datetime,
    ) -> None:
        """Record, before sending, that `day`'s digest is about to go to `recipient`."""
        with self._write():
            self.db.table("deliveries").upsert({
                "day": day.isoformat(), "recipient": recipient, "message_id": message_id,
                "subject": subject, "sent": _iso(when), "status": "ready", "attempt": attempt,
            }, pk=("day", "recipient"))

    def record_handover(self, day: date, recipient: str) -> None:
        """Record that `day`'s digest is being handed to the server for `recipient`."""
        with self._write():
            self.db.execute(
                "UPDATE deliveries SET status = 'sending' WHERE day = ? AND recipient = ?",
                [day.isoformat(), recipient])

    def record_delivery(self, day: date, recipient: str, when: datetime) -> None:
        """Record that the server accepted `day`'s digest for `recipient`."""
        with self._write():
            self.db.execute(
                "UPDATE deliveries SET status = 'sent', sent = ? WHERE day = ? AND recipient = ?",
                [_iso(when), day.isoformat(), recipient])

    def drop_intent(
        self, day: date, recipient: str, before: tuple[str, int, str] | None,
    ) -> None:
        """Undo an intent whose send failed for sure: back to `before` (None: no row)."""
        with self._write():
            if before is None:
                self.db.execute("DELETE FROM deliveries WHERE day = ? AND recipient = ?",
                                [day.isoformat(), recipient])
            else:
                self.db.execute(
                    "UPDATE deliveries SET status = ?, attempt = ?, message_id = ? "
                    "WHERE day = ? AND recipient = ?",
                    [before[0], before[1], before[2], day.isoformat(), recipient])

    @contextmanager
    def sending(self, wait: float) -> Iterator[None]:
        """Hold this store's send lock: one run at a time in the sending step.

        A second run waits up to `wait` seconds, then stops with a one-line
        error. The lock is an OS file lock beside the store, so a killed run
        releases it.
        """
        with _file_lock(self.path.with_name(self.path.name + ".send-lock"), wait,
                        f"{self.path}: another run is sending this store's digests"):
            yield

    def digests(self) -> list[DigestRecord]:
        """Return every digest written so far, newest first."""
        rows = self.conn.execute(
            "SELECT day, html_path, text_path, articles, themes FROM digests ORDER BY day DESC"
        ).fetchall()
        return [DigestRecord(date.fromisoformat(r[0]), r[1], r[2], r[3], r[4]) for r in rows]


def _feed_state(row: dict[str, Any] | None, url: str, name: str, full_text: bool,
                category: str = "") -> FeedState:
    if row is None:
        return FeedState(url=url, name=name, full_text=full_text, category=category)
    return FeedState(
        url=url, name=name, full_text=full_text, fetch_url=row["fetch_url"] or "",
        etag=row["etag"], last_modified=row["last_modified"],
        consecutive_errors=row["consecutive_errors"] or 0,
        next_attempt=_parse_time(row["next_attempt"]), gone=bool(row["gone"]),
        last_fetch=_parse_time(row["last_fetch"]), last_success=_parse_time(row["last_success"]),
        last_status=row["last_status"], last_error=row["last_error"], items=row["items"] or 0,
        paused=bool(row["paused"]), category=category or row["category"],
        site_url=row["site_url"],
    )


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


_ARTICLE_COLUMNS = ("id, source, title, body, published, url, location, flags, kind, "
                    "language, url_key, content_hash, category, read_hash")


def _article(r: Any) -> Article:
    return Article(id=r[0], source=r[1], title=r[2], body=r[3],
                   published=datetime.fromisoformat(r[4]), url=r[5], location=r[6],
                   flags=tuple(json.loads(r[7])), kind=r[8], language=r[9],
                   url_key=r[10] or "", content_hash=r[11], category=r[12], read_hash=r[13])


def _article_row(article: Article, now: datetime) -> dict[str, Any]:
    return {
        "id": article.id, "source": article.source, "title": article.title,
        "body": article.body, "url": article.url, "url_key": article.url_key or None,
        "content_hash": article.content_hash, "published": _iso(article.published),
        "updated": _iso(now), "location": article.location,
        "flags": json.dumps(list(article.flags)), "kind": article.kind,
        "language": article.language, "category": article.category,
        "read_hash": article.read_hash,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _database(connection: sqlite3.Connection) -> sqlite_utils.Database:
    """Return sqlite-utils on `connection`.

    sqlite-utils imports numpy (and pandas) when it is imported, if they are
    installed, only to map their number types to column types; we never store
    them, so they are kept out of this import (a later `import numpy` elsewhere
    works as usual). And no sqlite-utils plugins: none of them may change our
    connection, and looking for them scans every installed package (50 ms).
    """
    import sys

    absent = [name for name in ("numpy", "pandas") if name not in sys.modules]
    for name in absent:
        sys.modules[name] = None  # type: ignore[assignment]  # "not installed", for this import
    try:
        import sqlite_utils
    finally:
        for name in absent:
            del sys.modules[name]
    return sqlite_utils.Database(connection, execute_plugins=False)
