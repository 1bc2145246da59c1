"""Where pages are published: a local folder or an S3 bucket under a prefix."""

import ipaddress
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .build import safe_join, write_atomic
from .errors import PublishError, SettingsError

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
NO_CACHE = "no-cache"

_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX_SEGMENT_RE = re.compile(r"[A-Za-z0-9!_.*'()-]+")


def content_type(key: str) -> str:
    """Return the Content-Type, with a charset for text, of an object key."""
    return CONTENT_TYPES.get(os.path.splitext(key)[1], "application/octet-stream")


def cache_control(key: str) -> str:
    """Return the Cache-Control of an object: hashed assets are immutable."""
    return IMMUTABLE if key.startswith("assets/") else NO_CACHE


def check_bucket_name(bucket: str) -> str:
    """Return the bucket name if S3 would accept it, else raise SettingsError."""
    problem = None
    if not _BUCKET_RE.fullmatch(bucket):
        problem = "use 3-63 lower-case letters, digits, dots and hyphens"
    elif ".." in bucket or ".-" in bucket or "-." in bucket:
        problem = "dots may not be doubled or touch a hyphen"
    elif bucket.startswith(("xn--", "sthree-")) or bucket.endswith(
        ("-s3alias", "--ol-s3", "--x-s3")
    ):
        problem = "the name uses a prefix or suffix S3 reserves"
    else:
        try:
            ipaddress.IPv4Address(bucket)
            problem = "a bucket name may not look like an IP address"
        except ValueError:
            pass
    if problem:
        raise SettingsError(
            f"PAYPAGES_PUBLISH_URL: {bucket!r} is not a valid S3 bucket name: "
            f"{problem}."
        )

    return bucket


def _check_prefix(prefix: str) -> str:
    prefix = prefix.strip("/")
    if not prefix:
        return ""
    for segment in prefix.split("/"):
        if segment in (".", "..") or not _PREFIX_SEGMENT_RE.fullmatch(segment):
            raise SettingsError(
                "PAYPAGES_PUBLISH_URL: the S3 prefix may only hold letters, "
                "digits and !_.*'()- between single slashes."
            )

    return prefix


class LocalTarget:
    """A local folder, such as one served by a plain static web server."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = root.as_uri()
        self.client = None

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise PublishError(
                f"The publish folder could not be written ({reason})."
            ) from exc

    def put(self, key: str, data: bytes) -> None:
        """Write one object, whole or not at all."""
        with self._errors():
            write_atomic(safe_join(self.root, key), data)

    def delete(self, key: str) -> None:
        """Delete one object; a missing one is fine."""
        with self._errors():
            safe_join(self.root, key).unlink(missing_ok=True)

    def list_keys(self) -> set[str]:
        """Return every key in the folder."""
        keys = set()
        with self._errors():
            for path in self.root.rglob("*"):
                if path.is_file() and not path.name.startswith("."):
                    keys.add(path.relative_to(self.root).as_posix())

        return keys

    def policy(self) -> dict:
        """Refuse: a local folder has no bucket policy."""
        raise SettingsError("PAYPAGES_PUBLISH_URL: only an s3:// target has a policy.")


class S3Target:
    """An S3 bucket (any S3-compatible endpoint), under an optional prefix."""

    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        self.url = f"s3://{bucket}/{prefix}".rstrip("/")
        self._client = None

    @property
    def client(self):
        """Return the boto3 S3 client, made on first use."""
        if self._client is None:
            # Imported on first use: rebuild workers never publish.
            import boto3
            from botocore.config import Config

            config = Config(
                s3={"addressing_style": "path"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                connect_timeout=3,
                read_timeout=10,
                retries={"max_attempts": 2, "mode": "standard"},
            )
            session = boto3.session.Session()
            self._client = session.client(
                "s3", endpoint_url=self.endpoint_url, config=config
            )

        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _owned_prefixes(self) -> list[str]:
        # Without a prefix the bucket is shared with whatever else is in it:
        # own only the folders paypages writes.
        return [self.prefix + "/"] if self.prefix else ["p/", "assets/"]

    @contextmanager
    def _errors(self) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            raise PublishError(_client_error_reason(exc, self.bucket)) from exc
        except BotoCoreError as exc:
            raise PublishError(_botocore_reason(exc)) from exc

    def put(self, key: str, data: bytes) -> None:
        """Upload one object with its Content-Type and Cache-Control."""
        with self._errors():
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type(key),
                CacheControl=cache_control(key),
            )

    def delete(self, key: str) -> None:
        """Delete one object; a missing one is fine."""
        with self._errors():
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def list_keys(self) -> set[str]:
        """Return the keys under the prefix, relative to it."""
        keys = set()
        strip = len(self.prefix) + 1 if self.prefix else 0
        with self._errors():
            paginator = self.client.get_paginator("list_objects_v2")
            for owned in self._owned_prefixes():
                for result in paginator.paginate(Bucket=self.bucket, Prefix=owned):
                    keys.update(
                        item["Key"][strip:] for item in result.get("Contents", [])
                    )

        return keys

    def policy(self) -> dict:
        """Return a bucket policy allowing public GetObject under the prefix."""
        resources = [
            f"arn:aws:s3:::{self.bucket}/{owned}*" for owned in self._owned_prefixes()
        ]

        return {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PaypagesPublicRead",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": resources[0] if len(resources) == 1 else resources,
                }
            ],
        }


def _client_error_reason(exc: Exception, bucket: str) -> str:
    response = getattr(exc, "response", {})
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in ("NoSuchBucket",) or (status == 404 and code in ("404", "NotFound")):
        return f"The S3 bucket {bucket!r} does not exist."
    if code in (
        "AccessDenied",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
    ) or status in (401, 403):
        return f"The storage refused the credentials for bucket {bucket!r} ({code})."
    if code in ("SlowDown", "ServiceUnavailable", "InternalError", "RequestTimeout"):
        return f"The storage is unavailable for now ({code}); try again later."

    return f"The storage refused the request ({code or status})."


def _botocore_reason(exc: Exception) -> str:
    from botocore.exceptions import (
        ConnectTimeoutError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ReadTimeoutError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return "No S3 credentials were found; set AWS_ACCESS_KEY_ID and friends."
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return "The storage endpoint timed out."
    if isinstance(exc, EndpointConnectionError):
        return "The storage endpoint could not be reached."

    return f"The storage request failed ({type(exc).__name__})."


def parse_publish_url(url: str, endpoint_url: str | None) -> LocalTarget | S3Target:
    """Return the target a publish URL names, or raise SettingsError."""
    if not isinstance(url, str):
        raise SettingsError("PAYPAGES_PUBLISH_URL must be a file:// or s3:// URL.")
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        if parts.netloc not in ("", "localhost") or not os.path.isabs(path):
            raise SettingsError(
                "PAYPAGES_PUBLISH_URL: a file target needs an absolute folder, "
                "such as file:///srv/pages."
            )
        return LocalTarget(Path(os.path.normpath(path)))
    if parts.scheme == "s3":
        if "@" in parts.netloc or parts.query or parts.fragment:
            raise SettingsError(
                "PAYPAGES_PUBLISH_URL: an s3:// URL holds only a bucket and a "
                "prefix; credentials come from the usual AWS settings."
            )
        bucket = check_bucket_name(parts.netloc)
        return S3Target(bucket, _check_prefix(unquote(parts.path)), endpoint_url)

    raise SettingsError(
        f"PAYPAGES_PUBLISH_URL: unknown scheme {parts.scheme!r}; "
        "use file:///folder or s3://bucket/prefix."
    )


def check_http_url(url: str | None, setting: str, *, optional: bool = False) -> str:
    """Return an http(s) URL without its trailing slash, or raise SettingsError."""
    if url is None and optional:
        return ""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError(f"{setting} must be an http:// or https:// URL.")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise SettingsError(f"{setting} may not hold a query, fragment or password.")

    return url.rstrip("/")
