"""Where session files live: a local directory (the default) or S3-compatible object storage.

A *store spec* is the text users write: a directory path, or ``s3://bucket/prefix``
(``results.store`` in the interview file, ``--results``, ``MOCKFLOW_RESULTS``). An object
store holds the same files as the local directory, under idempotent keys::

    <prefix>/<interview-id>/<YYYY-MM-DD>/<session-id>/<file>

(the date comes from the session id, so re-uploading a file always hits the same key).

``ObjectStore`` is the one small interface the upload queue and the reader use: ``put``
a file's bytes, ``list`` objects under the prefix, ``get`` one object. ``S3Store`` speaks
S3 through boto3 (the ``mockflow[s3]`` extra, imported only when an s3:// spec is used);
endpoint, region and credentials come from the standard AWS variables
(``AWS_ENDPOINT_URL``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, instance roles), so
MinIO, Ceph, R2, GCS's S3 interface and AWS itself all work the same way.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from mockflow.format.errors import MockflowError

S3_SCHEME = "s3://"
RESULTS_ENV = "MOCKFLOW_RESULTS"
DEFAULT_RESULTS_DIR = "results"
SHA256_META = "mockflow-sha256"  # x-amz-meta-mockflow-sha256: hex digest of the body
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_SESSION_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})T")
_SAFE_PART = re.compile(r"^[A-Za-z0-9._-]+$")
_PREFIX_PART = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


class StoreError(MockflowError):
    """The results store can't be used (bad spec, missing extra, unreachable, refused)."""


class StoreSpecError(StoreError):
    """A store spec that is neither a directory nor a well-formed s3:// URL."""


class StoreUnavailable(StoreError):
    """The object store could not be reached or refused a request; retry later."""


class MissingExtra(StoreError):
    """An s3:// store was asked for but boto3 (the ``mockflow[s3]`` extra) is not installed."""


class CorruptObject(StoreError):
    """An object in the store is partial or corrupt; ``key`` names it."""

    def __init__(self, key: str, reason: str) -> None:
        self.key = key
        self.reason = reason
        super().__init__(f"object '{shown_key(key)}' in the results store is {reason}")


class RefusedKey(CorruptObject):
    """An object whose key can't be a path inside the local copy ('..', an absolute
    path, a backslash, a NUL, an empty part): refused, never followed."""


def shown_key(key: str) -> str:
    """A key as it can be printed: control characters (a NUL, an escape) as ``\\xNN``."""
    return "".join(f"\\x{ord(ch):02x}" if ord(ch) < 32 or ord(ch) == 127 else ch
                   for ch in key)


def key_problem(key: str) -> str | None:
    """Why a store key (relative to the store's prefix) can't name a file inside the
    local copy, or None. Such keys are refused outright, whatever follows."""
    if "\x00" in key:
        return "its key contains a NUL character"
    if "\\" in key:
        return "its key contains a backslash, which some systems read as a '/'"
    if key.startswith("/"):
        return "its key is an absolute path"
    parts = key.split("/")
    if any(p in (".", "..") for p in parts):
        return "its key has a '.' or '..' part, which would lead outside the session's folder"
    if any(p == "" for p in parts):
        return "its key has an empty part ('//' or a '/' at either end)"
    return None


@dataclass(frozen=True, slots=True)
class S3Location:
    bucket: str
    prefix: str  # without leading or trailing '/'; may be empty

    @property
    def spec(self) -> str:
        return f"{S3_SCHEME}{self.bucket}/{self.prefix}".rstrip("/")

    def key(self, relative: str) -> str:
        return f"{self.prefix}/{relative}" if self.prefix else relative

    def relative(self, key: str) -> str | None:
        if not self.prefix:
            return key
        head = self.prefix + "/"
        return key[len(head):] if key.startswith(head) else None


def is_remote(spec: str | None) -> bool:
    return bool(spec) and str(spec).startswith(S3_SCHEME)


def parse_s3(spec: str) -> S3Location:
    """``s3://bucket/some/prefix`` -> S3Location; a clear error for anything else."""
    if not spec.startswith(S3_SCHEME):
        raise StoreSpecError(f"results store '{spec}' is not an s3:// URL;"
                             " write s3://bucket or s3://bucket/prefix")
    rest = spec[len(S3_SCHEME):]
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.match(bucket) or ".." in bucket:
        raise StoreSpecError(
            f"results store '{spec}' has no valid bucket name ('{bucket}'); bucket names are"
            " 3-63 lower-case letters, digits, dots and hyphens: s3://my-bucket/prefix")
    parts = [p for p in prefix.split("/") if p]
    bad = next((p for p in parts if not _PREFIX_PART.match(p)), None)
    if bad is not None:
        raise StoreSpecError(
            f"results store '{spec}' has a prefix folder '{bad}' that can't be used; folder"
            " names are letters, digits, '.', '_' and '-' and don't start with '.'")
    return S3Location(bucket, "/".join(parts))


# ------------------------------------------------------------------ where a session writes


@dataclass(frozen=True, slots=True)
class CheckpointPolicy:
    """How stale the store's copy of a running transcript may get: a checkpoint every
    ``turns`` turns, or ``seconds`` after the first turn not yet checkpointed."""

    turns: int = 5
    seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class ResultsTarget:
    """Where a session writes: always ``directory`` first, then uploads to ``store``."""

    directory: Path
    store: str | None = None
    checkpoint: CheckpointPolicy = field(default_factory=CheckpointPolicy)


def results_target(flag: str | None, env: Mapping[str, str] | None = None, *,
                   file_store: str | None = None,
                   checkpoint: CheckpointPolicy | None = None) -> ResultsTarget:
    """``--results`` and ``MOCKFLOW_RESULTS`` may each be a directory or an s3:// spec.

    The store is the first s3:// spec of: the flag, the environment, the interview file's
    ``results.store``. The local directory is the first directory of the flag and the
    environment, else ``./results``."""
    env = os.environ if env is None else env
    given = [v for v in (flag, env.get(RESULTS_ENV)) if v]
    store = next((v for v in given if is_remote(v)), None) or file_store or None
    directory = next((v for v in given if not is_remote(v)), DEFAULT_RESULTS_DIR)
    if store is not None:
        parse_s3(store)
    return ResultsTarget(Path(directory), store, checkpoint or CheckpointPolicy())


# ------------------------------------------------------------------ keys


def session_date(session_id: str) -> str:
    """``20261124T121212Z-1a2b3c`` -> ``2026-11-24``; ``undated`` if the id has no stamp."""
    match = _SESSION_DATE.match(session_id)
    return "-".join(match.groups()) if match else "undated"


def key_for(relative: str) -> str:
    """Local ``<interview>/<session>/<file…>`` -> key ``<interview>/<date>/<session>/<file…>``
    (relative to the store's prefix)."""
    parts = PurePosixPath(relative).parts
    if len(parts) < 3 or not all(_SAFE_PART.match(p) for p in parts):
        raise StoreError(f"'{relative}' is not a session file (<interview>/<session>/<file>)")
    interview, session, *rest = parts
    return "/".join([interview, session_date(session), session, *rest])


def relative_for(key: str) -> str | None:
    """The inverse of ``key_for``; None for objects that are not session files (and for
    every key ``key_problem`` refuses)."""
    if key_problem(key) is not None:
        return None
    parts = key.split("/")
    if len(parts) < 4 or not all(_SAFE_PART.match(p) for p in parts):
        return None
    interview, date, session, *rest = parts
    if date != session_date(session) or any(p.startswith(".") for p in rest):
        return None
    return "/".join([interview, session, *rest])


# ------------------------------------------------------------------ the interface


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    key: str  # relative to the store's prefix: <interview>/<date>/<session>/<file>
    size: int
    etag: str


@dataclass(frozen=True, slots=True)
class FetchedObject:
    key: str
    body: bytes
    etag: str
    sha256: str | None  # what the uploader recorded, if it was mockflow


class ObjectStore(Protocol):
    """What the upload queue and the reader need from an object store."""

    location: S3Location

    def put(self, key: str, body: bytes) -> str:
        """Store ``body`` under ``key`` (overwriting); return the new ETag."""
        ...

    def list(self) -> Iterator[ObjectInfo]:
        """Every object under the location's prefix."""
        ...

    def get(self, key: str) -> FetchedObject:
        """One object's bytes (``CorruptObject`` if the download broke off)."""
        ...

    def url(self, key: str) -> str:
        """``s3://bucket/prefix/key``, for messages."""
        ...


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def verify(fetched: FetchedObject, info: ObjectInfo, name: str) -> None:
    """Raise ``CorruptObject`` (naming ``name``, the object's URL) if the body is shorter or
    longer than listed or does not match the checksum the uploader recorded."""
    if len(fetched.body) != info.size:
        raise CorruptObject(name, f"partial: {len(fetched.body)} of {info.size} bytes"
                            " arrived; sync again, and if it repeats re-upload the session"
                            " with `mockflow results flush`")
    if fetched.sha256 is not None and sha256_hex(fetched.body) != fetched.sha256:
        raise CorruptObject(name, "corrupt: its content does not match the sha256 recorded"
                            " when it was uploaded; re-upload it from the worker's results"
                            " directory or delete the object")


class S3Store:
    """An S3-compatible bucket through boto3 (the ``mockflow[s3]`` extra)."""

    def __init__(self, location: S3Location, client: Any = None) -> None:
        self.location = location
        self._client = client if client is not None else _client()

    @property
    def spec(self) -> str:
        return self.location.spec

    def url(self, key: str) -> str:
        return f"{S3_SCHEME}{self.location.bucket}/{self.location.key(key)}"

    def put(self, key: str, body: bytes) -> str:
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()  # noqa: S324 - integrity
        try:
            response = self._client.put_object(
                Bucket=self.location.bucket, Key=self.location.key(key), Body=body, ContentMD5=md5,
                Metadata={SHA256_META: sha256_hex(body)})
        except Exception as exc:
            raise _unavailable(exc, f"upload of {self.url(key)}") from exc
        return str(response.get("ETag", "")).strip('"')

    def list(self) -> Iterator[ObjectInfo]:
        paginator = self._client.get_paginator("list_objects_v2")
        prefix = self.location.prefix + "/" if self.location.prefix else ""
        try:
            for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
                for item in page.get("Contents", ()):
                    key = self.location.relative(item["Key"])
                    if key:
                        yield ObjectInfo(key, int(item["Size"]),
                                         str(item.get("ETag", "")).strip('"'))
        except Exception as exc:
            raise _unavailable(exc, f"listing {self.spec}", _READ_RETRY) from exc

    def get(self, key: str) -> FetchedObject:
        try:
            response = self._client.get_object(Bucket=self.location.bucket,
                                               Key=self.location.key(key))
            body = response["Body"].read()
        except Exception as exc:
            if type(exc).__name__ in {"IncompleteReadError", "ResponseStreamingError"}:
                raise CorruptObject(self.url(key),
                                    f"partial: the download broke off ({exc})") from exc
            raise _unavailable(exc, f"download of {self.url(key)}", _READ_RETRY) from exc
        meta = {k.lower(): v for k, v in (response.get("Metadata") or {}).items()}
        return FetchedObject(key, body, str(response.get("ETag", "")).strip('"'),
                             meta.get(SHA256_META))


def require_client() -> None:
    """Raise ``MissingExtra`` now if boto3 is not installed (a worker checks at start)."""
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise MissingExtra(
            "an s3:// results store needs boto3, which is not installed; install the extra:"
            " pip install 'mockflow[s3]'") from None


def _client() -> Any:
    """A boto3 S3 client configured from the standard AWS environment."""
    require_client()
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=15,
                    retries={"max_attempts": 3, "mode": "standard"})
    session = boto3.session.Session()
    return session.client("s3", config=config,
                          region_name=session.region_name or "us-east-1")


_UPLOAD_RETRY = "it stays queued and is retried"
_READ_RETRY = "try again when the store is reachable"


def _unavailable(exc: Exception, what: str, retry: str = _UPLOAD_RETRY) -> StoreError:
    code = ""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = str(response.get("Error", {}).get("Code", ""))
    if code in {"NoSuchBucket", "AccessDenied", "InvalidAccessKeyId",
                "SignatureDoesNotMatch"}:
        hint = {"NoSuchBucket": "create the bucket or fix the name",
                "AccessDenied": "grant s3:PutObject, s3:GetObject and s3:ListBucket",
                }.get(code, "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        return StoreUnavailable(f"{what} was refused ({code}); {hint}")
    if type(exc).__name__ == "NoCredentialsError":
        return StoreUnavailable(f"{what} failed: no AWS credentials; set AWS_ACCESS_KEY_ID and"
                                " AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or an instance role)")
    return StoreUnavailable(f"{what} failed: {exc}; {retry}")


def open_store(spec: str, client: Any = None) -> S3Store:
    return S3Store(parse_s3(spec), client)
