"""A health check of the local MLflow store, before MLflow touches it.

MLflow, asked about a store that is missing, locked or not a database, creates an empty one,
retries for seconds and logs a traceback, or reports "no such model"; the user cannot tell which
of these happened. :func:`check_store` opens a SQLite store read-only first and turns each case
into its own one-line error naming the file and the fix.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stance.errors import Errors, StanceError

SQLITE_PREFIX = "sqlite:///"


def sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI (relative to the working folder); else None."""
    if not uri.startswith(SQLITE_PREFIX):
        return None
    name = uri.removeprefix(SQLITE_PREFIX).split("?", 1)[0]
    return Path(name) if name and name != ":memory:" else None


def check_store(uri: str, timeout: float = 5.0, missing_ok: bool = False) -> None:
    """Raise a StanceError unless the SQLite store of ``uri`` exists and can be read now.

    Other stores (a server, a file store) are left to MLflow. ``timeout`` is how long a store
    locked by another process is waited for; ``missing_ok`` lets training create a new store.

    Raises:
        StanceError: E042 (no store there), E043 (locked), E044 (not readable as a database).
    """
    path = sqlite_file(uri)
    if path is None:
        return
    shown = path.resolve()
    if not path.exists():
        if missing_ok:
            return
        raise StanceError(Errors.E042.format(path=shown, uri=uri))
    if not path.is_file():
        raise StanceError(Errors.E044.format(path=shown, uri=uri, detail="it is not a file"))
    try:
        con = sqlite3.connect(f"{shown.as_uri()}?mode=ro", uri=True, timeout=timeout)
    except sqlite3.Error as exc:
        raise StanceError(Errors.E044.format(path=shown, uri=uri, detail=str(exc))) from None
    try:
        tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StanceError(Errors.E043.format(path=shown, detail=str(exc))) from None
        raise StanceError(Errors.E044.format(path=shown, uri=uri, detail=str(exc))) from None
    except sqlite3.Error as exc:
        raise StanceError(Errors.E044.format(path=shown, uri=uri, detail=str(exc))) from None
    finally:
        con.close()
    if tables and "registered_models" not in tables:
        detail = f"a SQLite database without MLflow's tables (has {sorted(tables)})"
        raise StanceError(Errors.E044.format(path=shown, uri=uri, detail=detail))
