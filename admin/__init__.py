"""The paypages admin: owners record invoices; each gets a payment page."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask

from admin.settings import CHECKOUT, defaults

logger = logging.getLogger(__name__)

KNOWN_KEYS = {"dev", "secret", "changeme", "change-me", "development", "test"}


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message names it and the fix."""


def create_app(test_config=None, *, local_demo: bool = False) -> Flask:
    """Create the admin: defaults, then instance config, then environment."""
    instance = os.environ.get("PAYPAGES_INSTANCE_PATH") or str(CHECKOUT / "instance")
    if test_config and test_config.get("INSTANCE_PATH"):
        instance = str(test_config["INSTANCE_PATH"])
    app = Flask(__name__, instance_path=str(Path(instance).resolve()))
    app.config.from_mapping(defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("PAYPAGES")
    if test_config:
        app.config.from_mapping(test_config)
    app.config["INSTANCE_PATH"] = app.instance_path
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    _derive_paths(app.config, Path(app.instance_path))
    _secret_key(app, local_demo=local_demo)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=app.config["DATABASE_URL"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )

    from admin import (
        api,
        auth,
        cli,
        dashboard,
        invoices,
        mail,
        profile,
        publishing,
        web,
    )
    from admin.db import db

    db.init_app(app)
    from flask_migrate import Migrate

    Migrate(app, db, directory=str(Path(__file__).parent / "migrations"))
    web.init_app(app)
    auth.init_app(app)
    publishing.init_app(app)
    mail.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(dashboard.bp)
    app.register_blueprint(invoices.bp)
    app.register_blueprint(profile.bp)
    app.register_blueprint(api.bp)
    cli.init_app(app)

    return app


def _derive_paths(config, instance: Path) -> None:
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'paypages.sqlite'}"
    config["CONTENT_DIR"] = str(
        Path(config.get("CONTENT_DIR") or CHECKOUT / "content").resolve()
    )
    config["OUTPUT_DIR"] = str(
        Path(config.get("OUTPUT_DIR") or CHECKOUT / "output").resolve()
    )
    if not config.get("PUBLISH_URL"):
        config["PUBLISH_URL"] = (instance / "public").resolve().as_uri()
    config.setdefault("MAILDIR", str(instance / "maildir"))


def _secret_key(app: Flask, *, local_demo: bool) -> None:
    key = app.config.get("SECRET_KEY")
    weak = key and (str(key).lower() in KNOWN_KEYS or len(str(key)) < 32)
    if weak and not app.testing:
        raise ConfigError(
            "PAYPAGES_SECRET_KEY is too short or a well-known value; set it "
            "to at least 32 random characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_hex(32))'`."
        )
    if key:
        return
    if app.testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    if not local_demo:
        raise ConfigError(
            "Set PAYPAGES_SECRET_KEY to a long random value: paypages refuses "
            "to start without one outside the local demo (`paypages run`)."
        )
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        logger.info("Made a new secret key in %r.", str(path))
    app.config["SECRET_KEY"] = path.read_text().strip()
