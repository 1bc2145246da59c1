"""Build pages with Pelican, in-process, one content file (or one shard) at a time.

Pelican is locked down here: it reads only our content files with our reader,
and writes invoice pages and nothing else (no index, archive, tag, category,
author, feed or sitemap). Shared assets are written by :func:`write_assets`,
named by their content hash.
"""

import base64
import hashlib
import locale
import logging
import os
import tempfile
import threading
from datetime import date
from functools import partial
from pathlib import Path

import jinja2
from markupsafe import Markup

from . import content, view
from .errors import PageError
from .qrcache import qr_cache

_logger_class = logging.getLoggerClass()
_root_class = logging.getLogger().__class__

from pelican.contents import Content  # noqa: E402
from pelican.generators import PagesGenerator  # noqa: E402
from pelican.readers import BaseReader  # noqa: E402
from pelican.settings import read_settings  # noqa: E402
from pelican.writers import Writer  # noqa: E402

# Pelican's log module swaps the logger classes on import so that every later
# logger drops repeated messages (getpelican/pelican#2763); put them back so
# the admin's loggers behave as the standard library documents.
logging.setLoggerClass(_logger_class)
logging.getLogger().__class__ = _root_class

logger = logging.getLogger(__name__)

THEME_DIR = Path(__file__).parent / "theme"
PAGE_DIR = "p"
ASSET_DIR = "assets"

# Pelican sets process-wide state (the locale, signal receivers): one build
# at a time in a process.
BUILD_LOCK = threading.RLock()
_failures = threading.local()


class _QuietPelican(logging.Filter):
    """Keep Pelican's records, which name content files, at DEBUG only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.DEBUG:
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"

        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _quiet_pelican_loggers() -> None:
    # A filter on a logger sees only that logger's own records: set one on
    # each of Pelican's loggers.
    for name in list(logging.root.manager.loggerDict):
        if name != "pelican" and not name.startswith("pelican."):
            continue
        pelican_logger = logging.getLogger(name)
        if not any(isinstance(f, _QuietPelican) for f in pelican_logger.filters):
            pelican_logger.addFilter(_QuietPelican())


_quiet_pelican_loggers()


def _forget_built_pages() -> None:
    # Pelican memoizes Content.get_content and get_summary in one dict per
    # method, shared by all pages and keyed by the page itself
    # (pelican.utils.memoized): every page ever built would stay in memory.
    for name in ("get_content", "get_summary"):
        cache = getattr(vars(Content).get(name), "cache", None)
        if isinstance(cache, dict):
            cache.clear()


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Keep compiled templates in memory, as Pelican makes a new environment
    for every build."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self._store:
            bucket.bytecode_from_string(self._store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self._store[bucket.key] = bucket.bytecode_to_string()


class PaypagesReader(BaseReader):
    """Read a paypages content file into the page's view and its notes."""

    enabled = True
    file_extensions = ["md"]

    def read(self, source_path: str) -> tuple[str, dict]:
        """Return the notes as HTML and the metadata holding the page's view."""
        token = Path(source_path).stem
        try:
            text = Path(source_path).read_text(encoding="utf-8")
            page = content.loads(text, content.check_token(token))
        except (OSError, UnicodeDecodeError, PageError) as exc:
            # Pelican logs and skips a file its reader fails on: keep the
            # reason, so the build can raise it.
            if not hasattr(_failures, "by_token"):
                _failures.by_token = {}
            _failures.by_token[token] = exc
            raise
        today_iso = self.settings.get("PAYPAGES_TODAY")
        today = date.fromisoformat(today_iso) if today_iso else date.today()
        cache_path = self.settings.get("PAYPAGES_QR_CACHE")
        if cache_path:
            cache = qr_cache(cache_path)
            invoice = view.present(page, today, partial(cache.svg, token))
        else:
            invoice = view.present(page, today)
        metadata = {"title": invoice["title"], "slug": token, "invoice": invoice}

        return view.render_notes(page["notes"]), metadata


class Assets:
    """The shared stylesheet and the inline script, with their hashes."""

    def __init__(self, theme_dir: Path = THEME_DIR) -> None:
        self.css = (theme_dir / "static" / "style.css").read_bytes()
        css_hash = hashlib.sha256(self.css).hexdigest()[:16]
        self.css_key = f"{ASSET_DIR}/style.{css_hash}.css"
        script = (theme_dir / "static" / "page.js").read_text(encoding="utf-8")
        self.script = script.strip()
        digest = hashlib.sha256(self.script.encode("utf-8")).digest()
        self.script_hash = "sha256-" + base64.b64encode(digest).decode("ascii")

    def files(self) -> dict[str, bytes]:
        """Return the asset files by output key."""
        return {self.css_key: self.css}


def safe_join(root: Path, key: str) -> Path:
    """Join a relative key onto root, refusing any path that leaves root."""
    path = Path(os.path.normpath(root / key))
    if Path(key).is_absolute() or not path.is_relative_to(root):
        raise PageError(f"The path {key!r} would leave {str(root)!r}.")

    return path


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_assets(output_dir: Path, assets: Assets | None = None) -> list[str]:
    """Write the hashed shared assets into output_dir; return their keys."""
    assets = assets or Assets()
    for key, data in assets.files().items():
        path = safe_join(output_dir, key)
        if not path.exists() or path.read_bytes() != data:
            write_atomic(path, data)

    return list(assets.files())


_NO_OUTPUT = {
    name: ""
    for name in (
        "ARTICLE_SAVE_AS",
        "ARTICLE_LANG_SAVE_AS",
        "DRAFT_SAVE_AS",
        "DRAFT_LANG_SAVE_AS",
        "DRAFT_PAGE_SAVE_AS",
        "DRAFT_PAGE_LANG_SAVE_AS",
        "INDEX_SAVE_AS",
        "ARCHIVES_SAVE_AS",
        "YEAR_ARCHIVE_SAVE_AS",
        "MONTH_ARCHIVE_SAVE_AS",
        "DAY_ARCHIVE_SAVE_AS",
        "AUTHOR_SAVE_AS",
        "AUTHORS_SAVE_AS",
        "CATEGORY_SAVE_AS",
        "CATEGORIES_SAVE_AS",
        "TAG_SAVE_AS",
        "TAGS_SAVE_AS",
    )
}
_NO_FEEDS = {
    name: None
    for name in (
        "FEED_ATOM",
        "FEED_RSS",
        "FEED_ALL_ATOM",
        "FEED_ALL_RSS",
        "CATEGORY_FEED_ATOM",
        "CATEGORY_FEED_RSS",
        "AUTHOR_FEED_ATOM",
        "AUTHOR_FEED_RSS",
        "TAG_FEED_ATOM",
        "TAG_FEED_RSS",
        "TRANSLATION_FEED_ATOM",
        "TRANSLATION_FEED_RSS",
    )
}


def pelican_settings(
    content_dir: Path,
    output_dir: Path,
    today: date | None = None,
    qr_cache: Path | None = None,
) -> dict:
    """Return the Pelican settings that build paypages from content_dir.

    Plain ``pelican`` given these settings (see :func:`write_pelicanconf`)
    writes the same pages as :class:`Builder`. With ``qr_cache``, QR codes
    drawn before for the same payload are reused.
    """
    assets = Assets()
    page_url = PAGE_DIR + "/{slug}.html"

    return {
        "PATH": str(content_dir),
        "OUTPUT_PATH": str(output_dir),
        "THEME": str(THEME_DIR),
        "SITEURL": "",
        "RELATIVE_URLS": False,
        "TIMEZONE": "UTC",
        "DEFAULT_LANG": "en",
        # Our reader for .md and no reader for anything else, so a stray file
        # in content/ can never become a page.
        "READERS": {
            "md": PaypagesReader,
            **dict.fromkeys(("markdown", "mkd", "mdown", "html", "htm", "rst")),
        },
        "PLUGINS": ["site_gen.pelican_plugin"],
        "ARTICLE_PATHS": [],
        "PAGE_PATHS": [""],
        "STATIC_PATHS": [],
        "THEME_STATIC_PATHS": [],
        "IGNORE_FILES": [".*"],
        "PAGE_URL": page_url,
        "PAGE_SAVE_AS": page_url,
        "PAGE_LANG_URL": page_url,
        "PAGE_LANG_SAVE_AS": page_url,
        "DIRECT_TEMPLATES": [],
        "PAGINATED_TEMPLATES": {},
        "TEMPLATE_PAGES": {},
        "OUTPUT_SOURCES": False,
        "DELETE_OUTPUT_DIRECTORY": False,
        "CACHE_CONTENT": False,
        "LOAD_CONTENT_CACHE": False,
        "FILENAME_METADATA": "",
        "PATH_METADATA": "",
        "TYPOGRIFY": False,
        "JINJA_ENVIRONMENT": {
            "autoescape": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "extensions": [],
            "undefined": jinja2.StrictUndefined,
            "bytecode_cache": _MemoryBytecodeCache(),
        },
        "PAYPAGES_TODAY": today.isoformat() if today else None,
        "PAYPAGES_QR_CACHE": str(qr_cache) if qr_cache else None,
        "PAYPAGES_STYLESHEET": "../" + assets.css_key,
        # The theme's own script, inlined so that its CSP hash allows it.
        "PAYPAGES_SCRIPT": Markup(assets.script),  # noqa: S704
        "PAYPAGES_SCRIPT_HASH": assets.script_hash,
        **_NO_OUTPUT,
        **_NO_FEEDS,
    }


def write_pelicanconf(
    path: Path, content_dir: Path, output_dir: Path, qr_cache: Path | None = None
) -> Path:
    """Write a pelicanconf.py with which plain ``pelican`` builds our pages."""
    cache = f"Path({str(qr_cache)!r})" if qr_cache else "None"
    text = (
        '"""Settings for running plain pelican over paypages content."""\n\n'
        "from pathlib import Path\n\n"
        "from site_gen.build import pelican_settings\n\n"
        "globals().update(\n"
        "    pelican_settings(\n"
        f"        Path({str(content_dir)!r}),\n"
        f"        Path({str(output_dir)!r}),\n"
        f"        qr_cache={cache},\n"
        "    )\n"
        ")\n"
    )
    path.write_text(text, encoding="utf-8")

    return path


class Builder:
    """Build pages from content files with Pelican, in this process."""

    def __init__(
        self,
        content_dir: Path,
        output_dir: Path,
        today: date | None = None,
        qr_cache: Path | None = None,
    ) -> None:
        self.content_dir = content_dir
        self.output_dir = output_dir
        self.assets = Assets()
        with BUILD_LOCK:
            saved = locale.setlocale(locale.LC_ALL)
            try:
                overrides = pelican_settings(content_dir, output_dir, today, qr_cache)
                self.settings = read_settings(override=overrides)
            finally:
                locale.setlocale(locale.LC_ALL, saved)
        self.settings["PLUGINS"] = []
        _quiet_pelican_loggers()

    def build(self, tokens: list[str]) -> list[str]:
        """Build the pages of tokens; return the output keys, assets first."""
        for token in tokens:
            content.check_token(token)
        with BUILD_LOCK:
            keys = write_assets(self.output_dir, self.assets)
            try:
                keys += self._run_pelican(tokens)
            finally:
                _forget_built_pages()

        return keys

    def _run_pelican(self, tokens: list[str]) -> list[str]:
        settings = dict(self.settings, PAGE_PATHS=[f"{t}.md" for t in tokens])
        context = dict(
            settings,
            generated_content={},
            static_links=set(),
            static_content={},
            localsiteurl=settings["SITEURL"],
        )
        _failures.by_token = {}
        absent = [t for t in tokens if not (self.content_dir / f"{t}.md").is_file()]
        if absent:
            raise PageError(
                "A page has no content file: write it first.", tuple(absent)
            )
        generator = PagesGenerator(
            context=context,
            settings=settings,
            path=str(self.content_dir),
            theme=settings["THEME"],
            output_path=str(self.output_dir),
        )
        generator.generate_context()
        pages = {page.slug: page for page in generator.pages}
        missing = [token for token in tokens if token not in pages]
        if missing:
            raise self._failure(missing)
        for token, page in pages.items():
            if page.save_as != f"{PAGE_DIR}/{token}.html":
                raise PageError("A page would be written outside its own file.")
        try:
            generator.generate_output(Writer(str(self.output_dir), settings=settings))
        except RuntimeError as exc:
            raise PageError(
                "Pelican refused to write a page: two pages would write one "
                "file, or a path would leave the output folder."
            ) from exc

        return [f"{PAGE_DIR}/{token}.html" for token in tokens]

    def _failure(self, missing: list[str]) -> PageError:
        found = [_failures.by_token.get(token) for token in missing]
        reasons = {str(exc) for exc in found if isinstance(exc, PageError)}
        detail = "; ".join(sorted(reasons)) or "see the debug log for Pelican's reason"
        logger.debug("Pelican could not read %s", ", ".join(missing))
        count = len(missing)

        return PageError(
            f"{count} content file{'s' if count > 1 else ''} could not be "
            f"read ({detail}).",
            tuple(missing),
        )
