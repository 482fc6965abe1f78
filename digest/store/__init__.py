"""The SQLite store: the only code that speaks SQL.

sqlite-utils is imported when the store first writes or brings its schema
up to date (`Store.db`): a store that is only read, as `digest sources list`
reads it, is read with the sqlite3 module alone.
"""

from digest.models import DigestRecord
from digest.store.database import Store

__all__ = ["DigestRecord", "Store"]
