"""Serve the local publish folder as a bucket would: plain GETs, no listing."""

from pathlib import Path

from werkzeug.exceptions import NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware

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
        return files(environ, start)

    return app
