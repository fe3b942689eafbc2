"""Durable, private writes: the one place the package writes a result file.

Every writer in ``mockflow.results`` (session files, scoring files, reviews, rescored
scorecards, the webhook outbox, the upload queue, the store's local cache, reports
written with ``-o``) goes through these helpers, so every file gets the same guarantees:

- **private**: files are created 0600 and directories 0700 (an explicit ``fchmod`` /
  ``chmod``, whatever the umask), with ``O_CLOEXEC`` so no child process inherits them;
- **whole or not at all**: ``write_all`` loops over short writes and fails loudly on a
  write that makes no progress or reports ``ENOSPC`` (a nearly full disk writes part of
  a buffer, then refuses the rest: ``os.write``'s return value is never ignored);
- **atomic replace** (``replace_atomic``): a temporary file in the same directory
  (``O_EXCL``), written fully, fsynced, renamed over the target, then the directory
  fsynced: a reader sees the old content or the new, never a mix;
- **new files only** (``create_new``): the same, but the finished file is *linked* into
  place, which fails if the name is taken, so nothing is ever overwritten;
- **append** (``append`` / ``AppendFile``): ``O_APPEND``, one ``write_all`` per record
  under an exclusive ``flock``, then fsync. A record that can't be written whole is cut
  back off the file (``ftruncate`` to where it began), and a record appended after an
  earlier torn one (a crash mid-write) starts on a new line, so a torn record never
  swallows the next one: readers skip the damaged line and keep every later line.

Every failure raises ``DurableWriteError`` (a ``ResultsError``) naming the file and what
happened; a full disk says so. Nothing here is ever swallowed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import stat
import threading
from pathlib import Path

from mockflow.format.errors import MockflowError

DIR_MODE = 0o700
FILE_MODE = 0o600
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})


class ResultsError(MockflowError):
    """The results directory can't be created, written or read."""


class DurableWriteError(ResultsError):
    """A result file could not be written whole and made durable. ``path`` names it,
    ``errno`` says why (``ENOSPC``: the disk is full), ``written``/``wanted`` how far a
    write got."""

    def __init__(self, path: Path, what: str, error: int | None = None, *,
                 written: int = 0, wanted: int = 0) -> None:
        self.path = Path(path)
        self.errno = error
        self.written = written
        self.wanted = wanted
        self.disk_full = error in _FULL
        super().__init__(f"cannot {what} {path}: {_reason(error, written, wanted)}")


def _reason(error: int | None, written: int, wanted: int) -> str:
    got = f" ({written} of {wanted} bytes written)" if wanted else ""
    if error in _FULL:
        return (f"the disk is full{got}; free space on that volume (or point --results"
                " elsewhere) and try again")
    if error is None:
        return f"the write made no progress{got}"
    return f"{os.strerror(error)}{got}"


def _error(path: Path, what: str, exc: OSError) -> DurableWriteError:
    return DurableWriteError(path, what, exc.errno)


# ---------------------------------------------------------------------- directories


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents as 0700 (directories that already exist are
    left as they are)."""
    path = Path(path)
    missing: list[Path] = []
    probe = path
    while not os.path.lexists(probe):
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        for created in reversed(missing):
            os.chmod(created, DIR_MODE)
    except OSError as exc:
        raise _error(path, "create results directory", exc) from exc


def fsync_dir(directory: Path) -> None:
    """Make a directory's entries (a rename, a new file) durable."""
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise _error(directory, "open the directory", exc) from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        raise _error(directory, "fsync the directory", exc) from exc
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- low level


def open_private(path: Path, flags: int) -> int:
    """``os.open`` a file only its owner can read (0600 whatever the umask, close-on-exec).
    Raises ``OSError`` like ``os.open``."""
    fd = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    try:
        if flags & os.O_CREAT:
            st = os.fstat(fd)
            if stat.S_ISREG(st.st_mode) and st.st_mode & 0o777 != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def write_all(fd: int, data: bytes, path: Path, what: str = "write") -> None:
    """Write every byte of ``data`` to ``fd`` or raise ``DurableWriteError``: short writes
    are continued, a write that makes no progress or fails (``ENOSPC``) raises."""
    view = memoryview(data)
    done = 0
    while done < len(data):
        try:
            n = os.write(fd, view[done:])
        except OSError as exc:
            raise DurableWriteError(path, what, exc.errno, written=done,
                                    wanted=len(data)) from exc
        if n <= 0:
            raise DurableWriteError(path, what, errno.ENOSPC, written=done, wanted=len(data))
        done += n


def _fsync(fd: int, path: Path) -> None:
    try:
        os.fsync(fd)
    except OSError as exc:
        raise _error(path, "fsync", exc) from exc


def _temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _write_temp(path: Path, data: bytes, mode: int = FILE_MODE) -> Path:
    """A finished, fsynced temporary file beside ``path`` (0600, or ``mode``)."""
    tmp = _temp_name(path)
    try:
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    except OSError as exc:
        raise _error(path, "write", exc) from exc
    try:
        try:
            write_all(fd, data, path)
            if mode != FILE_MODE:
                os.fchmod(fd, mode)
            _fsync(fd, path)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return tmp


# ---------------------------------------------------------------------- whole files


def replace_atomic(path: Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """Write ``path`` atomically as a 0600 file: old content or new, never a mix.
    ``mode``: other permissions, for a file that isn't candidate data (an interview file
    ``mockflow draft`` edits keeps its own)."""
    path = Path(path)
    tmp = _write_temp(path, data, mode)
    try:
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _error(path, "replace", exc) from exc
    fsync_dir(path.parent)


def create_new(path: Path, data: bytes) -> None:
    """Write a new 0600 file at ``path``, complete before it appears under its name.
    Raises ``FileExistsError`` if ``path`` exists (it is never replaced)."""
    path = Path(path)
    tmp = _write_temp(path, data)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise
    except OSError as exc:
        raise _error(path, "create", exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    fsync_dir(path.parent)


def move(source: Path, target: Path, *, sync: bool = True) -> None:
    """Rename ``source`` to ``target`` (same filesystem; replaces ``target``), then fsync
    the directories unless ``sync`` is False (a move whose loss in a crash is harmless,
    such as claiming a queue entry). Raises ``FileNotFoundError`` if ``source`` is gone
    (another process moved it first)."""
    try:
        os.replace(source, target)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise _error(target, "move a file to", exc) from exc
    if not sync:
        return
    fsync_dir(Path(target).parent)
    if Path(source).parent != Path(target).parent:
        fsync_dir(Path(source).parent)


def link(source: Path, target: Path) -> None:
    """Give ``source`` a second name, ``target``; ``FileExistsError`` if it is taken (so
    nothing is ever overwritten)."""
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError as exc:
        raise _error(target, "link", exc) from exc


def write_output(path: Path, data: bytes) -> None:
    """Write a file a user named (``report -o``): a regular file (or a new name) is
    replaced atomically as 0600; a FIFO, a terminal, ``/dev/null``, or a symbolic link is
    written *through*, never renamed over (a link keeps pointing where it pointed). A
    directory, a block device, or a link to nothing is refused."""
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        replace_atomic(path, data)
        return
    except OSError as exc:
        raise _error(path, "write", exc) from exc
    if stat.S_ISREG(st.st_mode):
        replace_atomic(path, data)
        return
    if stat.S_ISDIR(st.st_mode):
        raise DurableWriteError(path, "write", errno.EISDIR)
    if stat.S_ISLNK(st.st_mode):
        try:
            target = os.stat(path)
        except FileNotFoundError:
            raise ResultsError(f"cannot write {path}: it is a symbolic link to a file that"
                               " does not exist; give the path of a file to write") from None
        except OSError as exc:
            raise _error(path, "write", exc) from exc
        if stat.S_ISDIR(target.st_mode):
            raise DurableWriteError(path, "write", errno.EISDIR)
        mode = target.st_mode
    else:
        mode = st.st_mode
    if stat.S_ISBLK(mode):
        raise ResultsError(f"cannot write {path}: it is a block device (a disk); give the"
                           " path of a file to write")
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC
    if stat.S_ISREG(mode):
        flags |= os.O_TRUNC  # a link to a regular file: its content is replaced in place
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise _error(path, "write", exc) from exc
    try:
        write_all(fd, data, path)
        if stat.S_ISREG(mode):
            _fsync(fd, path)
    finally:
        os.close(fd)


# ---------------------------------------------------------------------- appending


def _append(fd: int, data: bytes, path: Path) -> None:
    """One record onto an ``O_RDWR | O_APPEND`` descriptor: whole, on a line of its own,
    durable; on failure the partial record is cut back off before the error is raised."""
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        start = os.fstat(fd).st_size
        # A crash mid-write left a torn record without its newline: start on a new line
        # so the damage stays on that line alone.
        if start and os.pread(fd, 1, start - 1) != b"\n":
            data = b"\n" + data
        try:
            write_all(fd, data, path, "append to")
            _fsync(fd, path)
        except DurableWriteError:
            with contextlib.suppress(OSError):  # a full disk can always shrink a file
                os.ftruncate(fd, start)
                os.fsync(fd)
            raise
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _open_append(path: Path) -> int:
    try:
        return open_private(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    except OSError as exc:
        raise _error(path, "append to", exc) from exc


def append(path: Path, data: bytes) -> None:
    """Append one record (a line, newline included) to ``path`` durably (see the module
    docstring: whole or cut back off, never glued to a torn record)."""
    path = Path(path)
    fd = _open_append(path)
    try:
        _append(fd, data, path)
    finally:
        os.close(fd)


class AppendFile:
    """A file kept open for appending records, each durable before ``append`` returns."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fd: int | None = _open_append(self.path)

    @property
    def closed(self) -> bool:
        return self._fd is None

    def append(self, data: bytes) -> None:
        with self._lock:
            if self._fd is None:
                raise ResultsError(f"{self.path} is already closed")
            _append(self._fd, data, self.path)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


__all__ = ["DIR_MODE", "FILE_MODE", "AppendFile", "DurableWriteError", "ResultsError",
           "append", "create_new", "fsync_dir", "link", "move", "open_private", "private_dir",
           "replace_atomic", "write_all", "write_output"]
