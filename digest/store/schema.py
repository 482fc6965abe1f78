"""The store's schema: a version number (SQLite's user_version) and the ordered steps to it.

A store is brought up to date when it is opened, inside the same write
transaction: a crash part-way leaves it at its old version, whole. Each step
is written once and never changed after release; a new need is a new step.
Stores made before versions were kept read as version 0, and step 1 brings
any of them (whatever columns they grew) to the first versioned shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from digest.errors import StoreError

if TYPE_CHECKING:  # imported by the store when it first needs it (`digest.store.database`)
    import sqlite_utils

Migration = Callable[["sqlite_utils.Database"], None]


def _v1_tables(db: sqlite_utils.Database) -> None:
    """The tables as stores had them before the schema had a version."""
    db.table("sources").create(
        {"name": str, "kind": str, "location": str, "last_read": str,
         "last_success": str, "articles": int, "problems": int, "last_error": str},
        pk="location", if_not_exists=True,
    )
    db.table("articles").create(
        {"id": str, "source": str, "title": str, "body": str, "url": str,
         "url_key": str, "content_hash": str, "published": str, "first_seen": str,
         "updated": str, "location": str, "flags": str, "kind": str},
        pk="id", if_not_exists=True,
    )
    if "kind" not in db.table("articles").columns_dict:  # stores made before feeds
        db.table("articles").add_column("kind", str)
    db.table("feeds").create(
        {"url": str, "name": str, "origin": str, "fetch_url": str, "full_text": int,
         "etag": str, "last_modified": str, "consecutive_errors": int,
         "next_attempt": str, "gone": int, "last_fetch": str, "last_success": str,
         "last_status": str, "last_error": str, "items": int},
        pk="url", if_not_exists=True,
    )
    db.table("duplicates").create(
        {"id": str, "duplicate_of": str, "reason": str, "source": str, "title": str,
         "url": str, "first_seen": str},
        pk="id", if_not_exists=True,
    )
    db.table("summaries").create(
        {"content_hash": str, "algorithm": str, "length": int, "language": str,
         "sentences": str, "whole": int, "created": str},
        pk=("content_hash", "algorithm", "length", "language"), if_not_exists=True,
    )
    db.table("runs").create(
        {"id": int, "day": str, "started": str, "finished": str, "status": str,
         "read": int, "new": int, "duplicates": int, "articles": int, "themes": int,
         "sources": int, "errors": str, "host": str, "pid": int},
        pk="id", if_not_exists=True,
    )
    for column, kind in (("host", str), ("pid", int)):  # stores made before these
        if column not in db.table("runs").columns_dict:
            db.table("runs").add_column(column, kind)
    db.table("digests").create(
        {"day": str, "html_path": str, "text_path": str, "articles": int,
         "themes": int, "created": str, "updated": str},
        pk="day", if_not_exists=True,
    )
    db.table("digest_articles").create(
        {"day": str, "article_id": str, "position": int},
        pk=("day", "article_id"), if_not_exists=True,
    )
    db.table("deliveries").create(
        {"day": str, "recipient": str, "message_id": str, "subject": str, "sent": str,
         "status": str, "attempt": int},
        pk=("day", "recipient"), if_not_exists=True,
    )
    # Stores made before sends were recorded as intents: every row was sent.
    columns = db.table("deliveries").columns_dict
    if "status" not in columns:
        db.table("deliveries").add_column("status", str, not_null_default="sent")
    if "attempt" not in columns:
        db.table("deliveries").add_column("attempt", int, not_null_default=0)


def _v2_constraints(db: sqlite_utils.Database) -> None:
    """Carried facts and constraints: NOT NULL where it holds, a correct summary key.

    - articles keep their language (decided once, at cleaning);
    - runs keep how many stories they made;
    - summaries are keyed by everything that shapes them (title, body,
      language used, algorithm, length, summarizer version). The old key
      missed the title, the language used and the version, so its rows are
      dropped: they are a cache, remade on the next run.
    """
    db.execute("UPDATE articles SET kind = 'file' WHERE kind IS NULL")
    db.execute("UPDATE articles SET location = '' WHERE location IS NULL")
    db.execute("UPDATE articles SET flags = '[]' WHERE flags IS NULL")
    db.table("articles").add_column("language", str, not_null_default="")
    # FTS triggers belong to the table being rebuilt: set up again afterwards.
    db.table("articles").disable_fts()
    db.table("articles").transform(not_null={
        "source", "title", "body", "content_hash", "published", "first_seen", "updated",
        "location", "flags", "kind"})
    db.table("articles").create_index(["published"], if_not_exists=True)
    db.table("articles").create_index(["content_hash"], if_not_exists=True)
    db.table("articles").create_index(["url_key"], if_not_exists=True)
    db.table("articles").enable_fts(["title", "body"], create_triggers=True)
    db.table("articles").rebuild_fts()

    db.table("summaries").drop()
    db.table("summaries").create(
        {"key": str, "algorithm": str, "length": int, "language": str,
         "sentences": str, "whole": int, "created": str},
        pk="key", not_null={"algorithm", "length", "language", "sentences", "whole", "created"},
    )
    db.table("runs").add_column("stories", int)
    db.table("runs").transform(not_null={"day", "started", "status"})
    db.table("digests").transform(not_null={"html_path", "text_path", "articles", "created",
                                            "updated"})
    db.table("digest_articles").transform(not_null={"position"})
    db.table("digest_articles").create_index(["article_id"], if_not_exists=True)
    db.table("deliveries").transform(not_null={"message_id", "status", "attempt"})
    db.execute("UPDATE feeds SET origin = 'config' WHERE origin IS NULL")
    db.table("feeds").transform(not_null={"name", "origin"})
    db.table("sources").transform(not_null={"name", "kind"})


def _v3_feed_settings(db: sqlite_utils.Database) -> None:
    """Feeds can be paused (`digest sources pause`) and keep their category and web site;
    articles keep their feed's category (sections by category)."""
    db.table("feeds").add_column("paused", int, not_null_default=0)
    db.table("articles").add_column("category", str, not_null_default="")
    db.table("feeds").add_column("category", str, not_null_default="")
    db.table("feeds").add_column("site_url", str, not_null_default="")


def _v4_computed(db: sqlite_utils.Database) -> None:
    """Work kept so that a rerun does not do it again.

    - articles keep the hash of what was read (and of the cleaning rules):
      an article read again unchanged is not cleaned again;
    - `computed` keeps whole-day results (story and theme grouping) under a
      hash of everything they were computed from;
    - `leads` keeps each article's story lead, so a day that changes by a
      few articles finds the leads of the new ones only.
    """
    db.table("articles").add_column("read_hash", str, not_null_default="")
    db.table("computed").create(
        {"key": str, "kind": str, "value": str, "saved": str},
        pk="key", not_null={"kind", "value", "saved"},
    )
    db.table("computed").create_index(["kind", "saved"], if_not_exists=True)
    # Each article's story lead (words, weights, word-gram hashes, MinHash),
    # under a hash of its text, language and the code that found it.
    db.table("leads").create(
        {"key": str, "value": bytes, "saved": str},
        pk="key", not_null={"value", "saved"},
    )
    db.table("leads").create_index(["saved"], if_not_exists=True)


def _v5_cleaned_duplicates(db: sqlite_utils.Database) -> None:
    """Dropped duplicates keep what cleaning made of them, under their read hash.

    A duplicate is not stored as an article, so without this every rerun
    cleaned each one again only to drop it again.
    """
    table = db.table("duplicates")
    for column in ("read_hash", "body", "language", "url_key", "content_hash"):
        table.add_column(column, str, not_null_default="")


def _v6_index_in_bulk(db: sqlite_utils.Database) -> None:
    """New articles enter the full-text index in one statement per save, not by a trigger.

    The store's `save_articles` indexes the rows it inserts; changed and
    removed rows still update the index through their triggers.
    """
    db.execute('DROP TRIGGER IF EXISTS "articles_ai"')


# In order; the store's version is how many of them it has had.
MIGRATIONS: tuple[Migration, ...] = (_v1_tables, _v2_constraints, _v3_feed_settings,
                                     _v4_computed, _v5_cleaned_duplicates, _v6_index_in_bulk)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite_utils.Database, where: str) -> int:
    """Bring the store up to SCHEMA_VERSION in the open transaction; return its old version.

    A store made by a newer news-digest is left alone: StoreError says so.
    """
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(f"{where}: made by a newer news-digest (schema version {version}; "
                         f"this one knows up to {SCHEMA_VERSION}); upgrade news-digest")
    for number in range(version, SCHEMA_VERSION):
        MIGRATIONS[number](db)
        db.execute(f"PRAGMA user_version = {number + 1}")
    return version
