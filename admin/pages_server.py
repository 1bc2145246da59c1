"""Serve the local publish folder as a bucket would: plain GETs, no listing."""

import logging
import urllib.parse
import urllib.request
from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.serving import WSGIRequestHandler

logger = logging.getLogger(__name__)

PAGE_HEADERS = [
    ("Referrer-Policy", "no-referrer"),
    ("X-Robots-Tag", "noindex, nofollow"),
    ("X-Content-Type-Options", "nosniff"),
]


def pages_app(folder: Path):
    """Return a WSGI app serving ``folder``; anything else answers 404."""
    files = SharedDataMiddleware(NotFound(), {"/": str(folder)}, cache=False)

    def app(environ, start_response):
        def start(status, headers, exc_info=None):
            return start_response(status, headers + PAGE_HEADERS, exc_info)

        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return NotFound()(environ, start_response)
        path = environ.get("PATH_INFO", "")
        if any(part.startswith(".") for part in path.split("/")):
            # Dotfiles (half-written temporaries, a stray .git) are never pages.
            return NotFound()(environ, start_response)
        return files(environ, start)

    return app


def local_folder(publish_url: str) -> Path | None:
    """Return the folder of a ``file://`` publish target, else None."""
    parts = urllib.parse.urlsplit(publish_url)
    if parts.scheme != "file":
        return None
    return Path(urllib.request.url2pathname(parts.path))


class QuietRequestHandler(WSGIRequestHandler):
    """Log page requests at DEBUG only: their paths hold the pages' tokens."""

    def log_request(self, code="-", size="-"):
        logger.debug("%s %s", code, self.command)
