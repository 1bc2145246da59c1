"""The site: content files in, pages out, pages published."""

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from . import content
from .build import (
    ASSET_DIR,
    BUILD_LOCK,
    PAGE_DIR,
    Builder,
    safe_join,
    write_assets,
    write_atomic,
)
from .errors import PageError, SettingsError
from .manifest import Manifest
from .qrcache import qr_cache
from .targets import check_http_url, parse_publish_url

logger = logging.getLogger(__name__)

# Pages per shard in a full rebuild: big enough that a worker's start-up and
# Pelican's per-run set-up are paid rarely, small enough for a smooth bar.
SHARD_SIZE = 200


@dataclass
class SyncResult:
    """What publish_all changed on the target."""

    uploaded: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _path(value: object, setting: str) -> Path:
    if not isinstance(value, str | os.PathLike) or not str(value):
        raise SettingsError(f"{setting} must be a file system path.")

    return Path(value).resolve()


class Site:
    """Write, build and publish the payment pages of one site.

    Every setting is checked at once. ``today`` freezes the day against
    which open invoices are found overdue (tests); by default it is the
    day of each build. paypages owns everything under an S3 prefix; with
    no prefix, only the ``p/`` and ``assets/`` folders of the bucket.
    """

    def __init__(
        self,
        content_dir: Path,
        output_dir: Path,
        publish_url: str,
        public_base_url: str,
        manifest_path: Path,
        s3_endpoint_url: str | None = None,
        today: date | None = None,
    ) -> None:
        self.content_dir = _path(content_dir, "PAYPAGES_CONTENT_DIR")
        self.output_dir = _path(output_dir, "PAYPAGES_OUTPUT_DIR")
        manifest_path = _path(manifest_path, "PAYPAGES_MANIFEST_PATH")
        if self.content_dir == self.output_dir:
            raise SettingsError(
                "PAYPAGES_CONTENT_DIR and PAYPAGES_OUTPUT_DIR must be two folders."
            )
        endpoint = check_http_url(
            s3_endpoint_url, "PAYPAGES_S3_ENDPOINT_URL", optional=True
        )
        self.target = parse_publish_url(publish_url, endpoint or None)
        self.public_base_url = check_http_url(
            public_base_url, "PAYPAGES_PUBLIC_BASE_URL"
        )
        self.today = today
        self.content_dir.mkdir(parents=True, exist_ok=True)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.manifest = Manifest(manifest_path, f"{self.target.url} {endpoint}")
        self.qr_cache_path = manifest_path.with_suffix(".qr.sqlite")
        self.builder = Builder(
            self.content_dir, self.output_dir, today, self.qr_cache_path
        )

    def page_key(self, token: str) -> str:
        """Return the object key of a page, relative to the target."""
        return f"{PAGE_DIR}/{content.check_token(token)}.html"

    def url_for(self, token: str) -> str:
        """Return the public URL of a page, the link to share."""
        return f"{self.public_base_url}/{self.page_key(token)}"

    def _content_path(self, token: str) -> Path:
        return safe_join(self.content_dir, f"{content.check_token(token)}.md")

    def write(self, page: dict) -> Path:
        """Write the content file of a page from its page dict."""
        text = content.dumps(page)
        path = self._content_path(page["token"])
        write_atomic(path, text.encode("utf-8"))
        logger.debug("Wrote content file %s", path)

        return path

    def build(self, token: str) -> list[str]:
        """Build one page with Pelican; return the output keys it needs."""
        return self.builder.build([token])

    def render(self, page: dict) -> str:
        """Write and build a page, and return its HTML."""
        self.write(page)
        keys = self.build(page["token"])

        return safe_join(self.output_dir, keys[-1]).read_text(encoding="utf-8")

    def _build_files(self, token: str) -> dict[str, bytes]:
        # Read under the lock, so a concurrent build of the same page
        # cannot hand us a half-written file.
        with BUILD_LOCK:
            keys = self.build(token)
            return {key: safe_join(self.output_dir, key).read_bytes() for key in keys}

    def _upload(self, files: dict[str, bytes]) -> list[str]:
        uploaded = []
        for key, data in files.items():
            digest = _sha256(data)
            if self.manifest.get(key) == digest:
                continue
            self.target.put(key, data)
            self.manifest.record(key, digest)
            uploaded.append(key)

        return uploaded

    def publish(self, token: str, retired: Iterable[str] = ()) -> str:
        """Build a page and upload what changed; delete retired pages."""
        retired = [content.check_token(old) for old in retired if old != token]
        uploaded = self._upload(self._build_files(token))
        for old in retired:
            self.remove(old)
        logger.info(
            "Published a page: %d object(s) uploaded, %d retired page(s) removed.",
            len(uploaded),
            len(retired),
        )
        logger.debug("Published %s", self.page_key(token))

        return self.url_for(token)

    def remove(self, token: str) -> None:
        """Delete a page's published object, output file and content file."""
        key = self.page_key(token)
        self.target.delete(key)
        self.manifest.forget(key)
        safe_join(self.output_dir, key).unlink(missing_ok=True)
        self._content_path(token).unlink(missing_ok=True)
        qr_cache(str(self.qr_cache_path)).forget(token)
        logger.debug("Removed %s", key)

    def tokens(self) -> list[str]:
        """Return the tokens of every content file, sorted."""
        found = []
        for path in self.content_dir.glob("*.md"):
            if content.TOKEN_RE.fullmatch(path.stem):
                found.append(path.stem)
            else:
                logger.warning("Skipped a content file with a malformed name.")

        return sorted(found)

    def _prune_output(self, tokens: list[str]) -> None:
        wanted = {self.page_key(token) for token in tokens}
        wanted.update(self.builder.assets.files())
        for key in self.output_files():
            if key not in wanted:
                safe_join(self.output_dir, key).unlink()
                logger.debug("Pruned stale output %s", key)

    def rebuild_all(
        self,
        progress: Callable[[int], None] | None = None,
        processes: int | None = None,
    ) -> int:
        """Rebuild every page from content/ in parallel shards; return the count."""
        tokens = self.tokens()
        self._prune_output(tokens)
        write_assets(self.output_dir, self.builder.assets)
        processes = processes or os.cpu_count() or 1
        shards = [tokens[i : i + SHARD_SIZE] for i in range(0, len(tokens), SHARD_SIZE)]
        if processes == 1 or len(shards) <= 1:
            results = map(_build_shard_with, [self.builder] * len(shards), shards)
            built, failed = _collect(results, progress)
        else:
            context = multiprocessing.get_context("spawn")
            args = (self.content_dir, self.output_dir, self.today, self.qr_cache_path)
            with context.Pool(min(processes, len(shards)), _start_worker, args) as pool:
                built, failed = _collect(
                    pool.imap_unordered(_build_shard, shards), progress
                )
        logger.info("Rebuilt %d page(s).", built)
        if failed:
            raise PageError(
                f"{len(failed)} content file(s) could not be read; "
                f"the other {built} page(s) were rebuilt.",
                tuple(sorted(failed)),
            )

        return built

    def output_files(self) -> list[str]:
        """Return the keys of every file in output/, assets first."""
        keys = [
            path.relative_to(self.output_dir).as_posix()
            for path in self.output_dir.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        ]

        return sorted(keys, key=lambda key: (not key.startswith(ASSET_DIR + "/"), key))

    def publish_all(self) -> SyncResult:
        """Make the target match output/ under its prefix, and nothing more."""
        result = SyncResult()
        present = self.target.list_keys()
        wanted = self.output_files()
        known = self.manifest.all()
        for key in wanted:
            data = safe_join(self.output_dir, key).read_bytes()
            digest = _sha256(data)
            if key in present and known.get(key) == digest:
                result.unchanged += 1
                continue
            self.target.put(key, data)
            self.manifest.record(key, digest)
            result.uploaded.append(key)
        for key in sorted(present - set(wanted)):
            self.target.delete(key)
            self.manifest.forget(key)
            result.deleted.append(key)
        for key in set(known) - set(wanted) - present:
            self.manifest.forget(key)
        logger.info(
            "Synced the target: %d uploaded, %d deleted, %d unchanged.",
            len(result.uploaded),
            len(result.deleted),
            result.unchanged,
        )

        return result

    def bucket_policy(self) -> dict:
        """Return an S3 bucket policy allowing public reads of pages only."""
        return self.target.policy()


_worker_builder: Builder | None = None


def _start_worker(*args) -> None:
    global _worker_builder
    _worker_builder = Builder(*args)


def _build_shard(tokens: list[str]) -> tuple[int, list[str]]:
    assert _worker_builder is not None

    return _build_shard_with(_worker_builder, tokens)


def _build_shard_with(builder: Builder, tokens: list[str]) -> tuple[int, list[str]]:
    try:
        builder.build(tokens)
    except PageError as exc:
        failed = set(exc.tokens)
        if not failed:
            raise
        good = [token for token in tokens if token not in failed]
        count, more = _build_shard_with(builder, good) if good else (0, [])
        return count, sorted(failed) + more

    return len(tokens), []


def _collect(results, progress) -> tuple[int, list[str]]:
    built, failed = 0, []
    for count, shard_failed in results:
        built += count
        failed += shard_failed
        if progress:
            progress(count + len(shard_failed))

    return built, failed
