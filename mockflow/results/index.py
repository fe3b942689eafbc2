"""The sessions index: a SQLite database (WAL mode) over the session files.

The files are the source of truth; the index is a cache that is checked against them on
every read: a session directory whose files changed (size or modification time) is
re-read, one that disappeared is dropped, a new one is added. A missing, corrupt or
older-format index is rebuilt from the files. Writers (the worker and console at the
end of a session, ``review``) update their row in a short ``BEGIN IMMEDIATE``
transaction, so two processes writing at once both land.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mockflow.results.files import (
    SCORECARD_NAME,
    SESSION_NAME,
    TRANSCRIPT_NAME,
    ResultsError,
    open_private,
    private_dir,
    writer_alive,
)
from mockflow.results.reviews import REVIEWS_NAME, apply_reviews, read_reviews

INDEX_NAME = ".sessions.sqlite"
INDEX_VERSION = 1
BUSY_MS = 30_000
_WATCHED = (SESSION_NAME, SCORECARD_NAME, REVIEWS_NAME, TRANSCRIPT_NAME)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    path TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    session_id TEXT NOT NULL,
    interview TEXT NOT NULL,
    interview_ref TEXT,
    kind TEXT,
    candidate TEXT,
    status TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    overall REAL,
    reviewed_overall REAL,
    flags TEXT NOT NULL,
    reviews INTEGER NOT NULL,
    problem TEXT
);
CREATE INDEX IF NOT EXISTS sessions_started ON sessions (started_at DESC);
"""


@dataclass(frozen=True, slots=True)
class SessionRow:
    path: str  # the session directory, relative to the results root
    session_id: str
    interview: str
    interview_ref: str | None
    kind: str | None
    candidate: str | None
    status: str
    started_at: str | None
    ended_at: str | None
    overall: float | None
    reviewed_overall: float | None
    flags: tuple[str, ...]
    reviews: int
    problem: str | None  # why the row is incomplete (a corrupt or missing file)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["flags"] = list(self.flags)
        return data


def _fingerprint(directory: Path) -> str:
    parts = []
    for name in _WATCHED:
        try:
            st = (directory / name).stat()
        except OSError:
            parts.append(f"{name}:-")
            continue
        parts.append(f"{name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def summarise(root: Path, directory: Path) -> SessionRow:
    """One session's index row, straight from its files (never raises for bad files)."""
    problems: list[str] = []
    session = _read(directory / SESSION_NAME)
    card = _read(directory / SCORECARD_NAME)
    if session is None:
        problems.append(f"{SESSION_NAME} missing or unreadable")
    if card is None and (session or {}).get("status") not in ("running", None):
        problems.append(f"{SCORECARD_NAME} missing or unreadable")
    session = session or {}
    card = card or {}
    iv = session.get("interview")
    ref = iv.get("ref") if isinstance(iv, Mapping) else iv if isinstance(iv, str) else None
    ref = ref if isinstance(ref, str) else card.get("interview") if isinstance(
        card.get("interview"), str) else None
    interview = ref.partition("@")[0] if ref else directory.parent.name
    cand = session.get("candidate")
    candidate = None
    if isinstance(cand, Mapping):
        candidate = cand.get("name") or cand.get("identity")
    status = str(session.get("status") or ("running" if session == {} else "unknown"))
    # every flag once, naming its question ("question 3 (sd-cache): no quotes: ...")
    flags: list[str] = []
    seen: set[tuple[Any, Any, Any]] = set()
    for f in card.get("review") or [] if isinstance(card.get("review"), list) else []:
        if isinstance(f, Mapping):
            seen.add((f.get("number"), f.get("flag"), f.get("detail")))
            flags.append(f"question {f.get('number')} ({f.get('question')}): {f.get('flag')}:"
                         f" {f.get('detail')}")
        else:
            flags.append(str(f))
    for q in card.get("questions") or []:
        if isinstance(q, Mapping) and isinstance(q.get("review"), list):
            flags += [f"question {q.get('number')} ({q.get('id')}): {f.get('flag')}:"
                      f" {f.get('detail')}" for f in q["review"] if isinstance(f, Mapping)
                      and (q.get("number"), f.get("flag"), f.get("detail")) not in seen]
    reviews: tuple[Any, ...] = ()
    try:
        reviews = read_reviews(directory)
    except ResultsError as exc:
        problems.append(f"{REVIEWS_NAME}: {exc}")
    # the reviewed view (``reviews.apply_reviews``): competency and question overrides
    reviewed_overall = apply_reviews(card, reviews)["reviewed_overall"] if reviews else None
    overall = card.get("overall")
    return SessionRow(
        path=str(directory.relative_to(root)),
        session_id=str(session.get("session_id") or directory.name),
        interview=interview, interview_ref=ref,
        kind=session.get("kind") if isinstance(session.get("kind"), str) else None,
        candidate=None if candidate is None else str(candidate),
        status=status,
        started_at=session.get("started_at") if isinstance(session.get("started_at"), str)
        else None,
        ended_at=session.get("ended_at") if isinstance(session.get("ended_at"), str)
        else None,
        overall=_num(overall.get("score")) if isinstance(overall, Mapping) else None,
        reviewed_overall=reviewed_overall, flags=tuple(flags), reviews=len(reviews),
        problem="; ".join(problems) or None)


def session_dirs(root: Path) -> Iterator[Path]:
    """``<root>/<interview>/<session>/`` directories that hold session files."""
    try:
        interviews = sorted(p for p in root.iterdir() if p.is_dir()
                            and not p.name.startswith("."))
    except FileNotFoundError:
        return
    for interview in interviews:
        with contextlib.suppress(OSError):
            for child in sorted(interview.iterdir()):
                if child.is_dir() and any((child / n).exists() for n in
                                          (SESSION_NAME, TRANSCRIPT_NAME)):
                    yield child


def _row(rec: tuple[Any, ...]) -> SessionRow:
    (path, _fingerprint, session_id, interview, ref, kind, candidate, status, started,
     ended, overall, reviewed, flags, reviews, problem) = rec
    return SessionRow(path, session_id, interview, ref, kind, candidate, status, started,
                      ended, overall, reviewed, tuple(json.loads(flags)), reviews, problem)


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """A write transaction that takes the write lock up front (no upgrade deadlocks)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class SessionIndex:
    """Open with ``with SessionIndex(root) as index:``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.path = self.root / INDEX_NAME
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> SessionIndex:
        try:
            private_dir(self.root)
            self._db = self._open(self.path)
        except sqlite3.DatabaseError:
            with contextlib.suppress(OSError):
                self._discard()  # corrupt: the files are the source of truth
            try:
                self._db = self._open(self.path)
            except (OSError, sqlite3.Error):
                self._db = self._open(None)
        except OSError:
            self._db = self._open(None)
        return self

    def __exit__(self, *_: object) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _discard(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                Path(f"{self.path}{suffix}").unlink()

    def _open(self, path: Path | None) -> sqlite3.Connection:
        """The index at ``path``; ``None``: one in memory, for a results directory the
        index can't be written in (read-only, or the name is taken): the listing is
        still right, only not cached."""
        if path is not None and not path.exists():
            with contextlib.suppress(FileExistsError):
                os.close(open_private(path, os.O_RDWR | os.O_CREAT | os.O_EXCL))
        db = sqlite3.connect(":memory:" if path is None else path, timeout=BUSY_MS / 1000,
                             isolation_level=None)
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            if db.execute("PRAGMA user_version").fetchone()[0] != INDEX_VERSION:
                with _transaction(db):
                    # checked again under the write lock: another process may have won
                    if db.execute("PRAGMA user_version").fetchone()[0] != INDEX_VERSION:
                        db.execute("DROP TABLE IF EXISTS sessions")
                        for statement in _SCHEMA.split(";"):
                            if statement.strip():
                                db.execute(statement)
                        db.execute(f"PRAGMA user_version = {INDEX_VERSION}")
            db.execute("SELECT count(*) FROM sessions").fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @property
    def db(self) -> sqlite3.Connection:
        if self._db is None:
            raise ResultsError("the sessions index is not open")
        return self._db

    def _upsert(self, row: SessionRow, fingerprint: str) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO sessions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (row.path, fingerprint, row.session_id, row.interview, row.interview_ref,
             row.kind, row.candidate, row.status, row.started_at, row.ended_at, row.overall,
             row.reviewed_overall, json.dumps(list(row.flags)), row.reviews, row.problem))

    def update(self, directory: Path) -> None:
        """Index (or re-index) one session directory now."""
        directory = Path(directory)
        fingerprint = _fingerprint(directory)
        row = summarise(self.root, directory)
        with _transaction(self.db):
            self._upsert(row, fingerprint)

    def refresh(self) -> int:
        """Bring the index in line with the files; returns how many rows changed."""
        known = dict(self.db.execute("SELECT path, fingerprint FROM sessions").fetchall())
        seen: set[str] = set()
        changed: list[tuple[SessionRow, str]] = []
        for directory in session_dirs(self.root):
            rel = str(directory.relative_to(self.root))
            seen.add(rel)
            fingerprint = _fingerprint(directory)
            if known.get(rel) != fingerprint:
                changed.append((summarise(self.root, directory), fingerprint))
        gone = [p for p in known if p not in seen]
        if changed or gone:
            with _transaction(self.db):
                for row, fingerprint in changed:
                    self._upsert(row, fingerprint)
                self.db.executemany("DELETE FROM sessions WHERE path = ?",
                                    [(p,) for p in gone])
        return len(changed) + len(gone)

    def query(self, *, interview: str | None = None, since: str | None = None,
              status: str | None = None) -> list[SessionRow]:
        """Newest first. ``since``: an ISO date or date-time (UTC)."""
        self.refresh()
        sql = "SELECT * FROM sessions WHERE 1=1"
        args: list[Any] = []
        if interview:
            sql += " AND (interview = ? OR interview_ref = ?)"
            args += [interview, interview]
        if since:
            sql += " AND started_at >= ?"
            args.append(since)
        sql += " ORDER BY started_at DESC, session_id DESC"
        rows = []
        for rec in self.db.execute(sql, args).fetchall():
            row = _row(rec)
            if row.status == "running" and not writer_alive(self.root / row.path):
                row = replace(row, status="interrupted")
            if status is None or row.status == status:
                rows.append(row)
        return rows
