"""The SQLite store: the only code that speaks SQL.

sqlite-utils imports numpy (and pandas) when it is imported, if they are
installed, only to map their number types to column types; we never store
them. They are kept out here so the light commands (`digest sources list`)
start without them; a later `import numpy` elsewhere works as usual.
"""

import sys

_absent = [name for name in ("numpy", "pandas") if name not in sys.modules]
for _name in _absent:
    sys.modules[_name] = None  # type: ignore[assignment]  # "not installed", for this import
try:
    import sqlite_utils  # noqa: F401
finally:
    for _name in _absent:
        del sys.modules[_name]

from digest.models import DigestRecord  # noqa: E402
from digest.store.database import Store  # noqa: E402

__all__ = ["DigestRecord", "Store"]
