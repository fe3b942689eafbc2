"""Reading results from either store: ``resolve_results(spec) -> local directory``.

Commands that read results (``sessions``, ``report``, ``review``, ``rescore``) work on a
local directory laid out as ``<interview-id>/<session-id>/<file>``. For a directory spec
that is the directory itself. For ``s3://bucket/prefix`` it is a private cache directory
(0700; files 0600) that ``sync`` brings up to date with the store: it lists the objects and
downloads only those whose ETag or size changed since the last sync (a manifest,
``.sync.json``, remembers them). Every download is checked before it replaces the cached
copy: its length against the listing, its sha256 against the one the uploader recorded,
JSON files must parse, JSON-lines files must be whole lines. A corrupt or partial object
is never written to the cache; it is reported as ``CorruptObject`` naming its key.

A command that writes into the directory (a review) calls ``publish_results(spec, path)``
afterwards: for an object store the file goes back up (through the upload queue of the
cache directory, so an outage loses nothing); for a directory it is a no-op.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mockflow.format.errors import MockflowError
from mockflow.results import durable, safe_json
from mockflow.results.store.backend import (
    DEFAULT_RESULTS_DIR,
    RESULTS_ENV,
    CorruptObject,
    FetchedObject,
    ObjectStore,
    RefusedKey,
    StoreError,
    is_remote,
    key_problem,
    open_store,
    parse_s3,
    relative_for,
    verify,
)
from mockflow.results.store.uploads import UploadQueue, flush_uploads

CACHE_ENV = "MOCKFLOW_CACHE"
MANIFEST = ".sync.json"
STORE_FILE = ".store.json"  # the s3:// spec this local copy is of


class StoreCorrupt(StoreError):
    """Some objects could not be synced; ``problems`` holds one ``CorruptObject`` each.
    Everything else was synced into ``directory``."""

    def __init__(self, directory: Path, problems: list[CorruptObject]) -> None:
        self.directory = directory
        self.problems = problems
        lines = "; ".join(str(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{len(problems)} object(s) in the results store could not be read:"
                         f" {lines}{more}")


def cache_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(CACHE_ENV):
        return Path(env[CACHE_ENV])
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mockflow"


def cache_directory(spec: str, env: Mapping[str, str] | None = None) -> Path:
    """Where ``spec``'s objects are cached: one directory per endpoint + bucket + prefix."""
    env = os.environ if env is None else env
    location = parse_s3(spec)
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "aws"
    tag = hashlib.sha256(f"{endpoint}\0{location.spec}".encode()).hexdigest()[:12]
    return cache_root(env) / "results" / f"{location.bucket}-{tag}"


@dataclass
class SyncReport:
    directory: Path
    downloaded: int = 0
    unchanged: int = 0
    ignored: int = 0  # objects that are not session files
    kept_local: int = 0  # files with local changes still queued for upload
    problems: list[CorruptObject] = field(default_factory=list)


def check_content(name: str, relative: str, body: bytes) -> None:
    """JSON must parse; JSON-lines must be whole lines that each parse (nesting bounded:
    ``safe_json``)."""
    if relative.endswith(".json"):
        try:
            safe_json.loads(body.decode("utf-8"))
        except ValueError as exc:  # bad UTF-8, bad JSON, nested too deeply
            raise CorruptObject(name, f"partial or corrupt: not valid JSON ({exc})") from None
    elif relative.endswith(".jsonl"):
        if body and not body.endswith(b"\n"):
            raise CorruptObject(name, "partial: its last line is cut off")
        for number, line in enumerate(body.decode("utf-8", "replace").splitlines(), 1):
            try:
                safe_json.loads(line)
            except ValueError:
                raise CorruptObject(name, f"corrupt: line {number} is not valid JSON") from None


def _is_folder_marker(key: str, size: int) -> bool:
    """An empty object named like a folder (``a/b/``), as consoles create: not a file."""
    return size == 0 and key.endswith("/") and key_problem(key.rstrip("/")) is None


def stored_spec(directory: Path) -> str | None:
    """The s3:// spec a local copy was synced from (None: not a local copy of a store)."""
    try:
        data = safe_json.loads((Path(directory) / STORE_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    spec = data.get("store") if isinstance(data, dict) else None
    return spec if isinstance(spec, str) and is_remote(spec) else None


def sync(store: ObjectStore, directory: Path) -> SyncReport:
    """Bring ``directory`` up to date with ``store`` (incremental by ETag and size).

    A key that can't be a path inside ``directory`` is refused (``RefusedKey`` in
    ``problems``) and never followed; a file with changes not uploaded yet (a review
    queued while the store was down) is kept, not overwritten."""
    durable.private_dir(directory)
    root = Path(directory).resolve()
    report = SyncReport(directory)
    manifest_path = directory / MANIFEST
    try:
        manifest = safe_json.loads(manifest_path.read_bytes())
    except (FileNotFoundError, ValueError):
        manifest = {}
    if not isinstance(manifest, dict):
        manifest = {}
    durable.replace_atomic(directory / STORE_FILE,
                           json.dumps({"store": store.location.spec}).encode())
    waiting = UploadQueue(directory).queued_paths()
    for info in store.list():
        problem = key_problem(info.key)
        if problem is not None:
            if not _is_folder_marker(info.key, info.size):
                report.problems.append(RefusedKey(
                    store.url(info.key), f"refused: {problem}; it was not downloaded:"
                    " rename or delete the object"))
            continue
        relative = relative_for(info.key)
        if relative is None:
            report.ignored += 1
            continue
        local = directory / relative
        if not local.parent.resolve().is_relative_to(root):  # a link planted in the copy
            report.problems.append(RefusedKey(
                store.url(info.key), f"refused: its local path {local} leads outside"
                f" {directory} through a symbolic link; remove the link"))
            continue
        if relative in waiting:
            report.kept_local += 1
            continue
        known = manifest.get(info.key)
        if known == {"etag": info.etag, "size": info.size} and local.exists():
            report.unchanged += 1
            continue
        try:
            fetched: FetchedObject = store.get(info.key)
            verify(fetched, info, store.url(info.key))
            check_content(store.url(info.key), relative, fetched.body)
        except CorruptObject as exc:
            report.problems.append(exc)
            continue
        durable.private_dir(local.parent)
        durable.replace_atomic(local, fetched.body)
        manifest[info.key] = {"etag": info.etag, "size": info.size}
        report.downloaded += 1
    durable.replace_atomic(manifest_path, json.dumps(manifest, sort_keys=True).encode())
    return report


def resolve_results(spec: str | Path, *, env: Mapping[str, str] | None = None) -> Path:
    """The local directory to read ``spec``'s results from (synced first for s3://).

    Raises ``StoreCorrupt`` (after syncing everything else) if some objects are corrupt or
    partial, ``StoreUnavailable`` if the store can't be reached, ``MissingExtra`` without
    boto3."""
    text = str(spec)
    if not is_remote(text):
        return Path(text)
    directory = cache_directory(text, env)
    report = sync(open_store(text), directory)
    if report.problems:
        raise StoreCorrupt(directory, report.problems)
    return directory


def reading_spec(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """What a reading command reads: ``--results``, else ``MOCKFLOW_RESULTS``, else
    ``./results``; a directory or an s3:// store (which ``resolve_results`` syncs)."""
    env = os.environ if env is None else env
    return flag or env.get(RESULTS_ENV) or DEFAULT_RESULTS_DIR


def publish_results(spec: str | Path, path: Path, *,
                    env: Mapping[str, str] | None = None,
                    directory: Path | None = None) -> None:
    """After a command wrote ``path`` inside ``resolve_results(spec)`` (``directory``, the
    local copy; by default the cache of ``spec``): upload it (s3://)."""
    text = str(spec)
    if not is_remote(text):
        return
    directory = cache_directory(text, env) if directory is None else Path(directory)
    UploadQueue(directory).enqueue(Path(path), text)
    result = flush_uploads(directory, attempts=3)
    if result.remaining:
        raise StoreError(f"{path} is saved locally and queued, but not uploaded to {text}"
                         f" yet: {result.error}; run `mockflow results flush --results"
                         f" {text}` later")


def publish_session_file(path: Path, *, env: Mapping[str, str] | None = None) -> str | None:
    """A command wrote ``path`` in a session directory (``<root>/<interview>/<session>/``):
    if ``root`` is the local copy of a store, upload it there. Returns the store's spec
    (None for a plain results directory); raises ``StoreError`` if it is still queued."""
    root = Path(path).parent.parent.parent
    spec = stored_spec(root)
    if spec is not None:
        publish_results(spec, path, env=env, directory=root)
    return spec


__all__ = ["MockflowError", "StoreCorrupt", "SyncReport", "cache_directory", "check_content",
           "publish_results", "publish_session_file", "reading_spec", "resolve_results",
           "stored_spec", "sync"]
