"""Fixtures: an admin on a fresh SQLite database, a client, an auth helper."""

import re
import socket

import boto3
import pytest
from flask_migrate import upgrade
from moto.server import ThreadedMotoServer

from admin import create_app
from admin.db import db

PASSWORD = "correct horse battery"


@pytest.fixture
def make_app(tmp_path):
    """Return a factory of migrated admins in tmp_path, settings overridable."""
    made = []

    def make(**overrides):
        settings = {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path / "instance",
            "CONTENT_DIR": str(tmp_path / "content"),
            "OUTPUT_DIR": str(tmp_path / "output"),
            "PUBLISH_URL": (tmp_path / "public").as_uri(),
            "PUBLIC_BASE_URL": "http://pages.test",
            # Fast hashes for the suite; test_auth checks the real default.
            "PASSWORD_HASH": "scrypt:1024:8:1",
            "RATELIMIT_STORAGE_URI": "memory://",
        }
        settings.update(overrides)
        app = create_app(settings)
        with app.app_context():
            upgrade()
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(response) -> str:
    """Return the CSRF token of the form in a page."""
    match = re.search(
        rb'name="csrf_token" type="hidden" value="([^"]+)"', response.data
    )
    if match is None:
        match = re.search(rb'name="csrf_token" value="([^"]+)"', response.data)
    assert match, "the page has no CSRF token"
    return match.group(1).decode()


class Auth:
    """Sign owners up and in through the real forms."""

    def __init__(self, client):
        self.client = client

    def signup(self, email="owner@example.com", password=PASSWORD):
        page = self.client.get("/signup")
        return self.client.post(
            "/signup",
            data={"email": email, "password": password, "csrf_token": csrf_token(page)},
        )

    def login(self, email="owner@example.com", password=PASSWORD):
        page = self.client.get("/signin")
        return self.client.post(
            "/signin",
            data={"email": email, "password": password, "csrf_token": csrf_token(page)},
        )

    def logout(self):
        page = self.client.get("/")
        return self.client.post("/signout", data={"csrf_token": csrf_token(page)})


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture
def api(app, client):
    """Return a caller of the JSON API as a new owner with a token."""
    from admin import tokens
    from admin.auth import create_owner

    def make(email="api@example.com"):
        with app.app_context():
            owner = create_owner(email, PASSWORD)
            db.session.commit()
            _, secret = tokens.create(owner, "tests")
        return ApiCaller(client, secret)

    return make


class ApiCaller:
    def __init__(self, client, secret):
        self.client = client
        self.headers = {"Authorization": f"Bearer {secret}"}

    def __call__(self, method, path, json=None, **kwargs):
        return self.client.open(
            f"/api/v1{path}", method=method, json=json, headers=self.headers, **kwargs
        )


def draft_json(**overrides):
    """Return a valid draft like the API documentation's example."""
    body = {
        "client": {
            "name": "UAB Ąžuolas",
            "email": "pay@azuolas.example",
            "language": "lt",
        },
        "currency": "EUR",
        "issue_date": "2026-12-03",
        "due_date": "2026-12-17",
        "lines": [
            {
                "description": "Design work",
                "quantity": "10",
                "unit_price": "57.48",
                "discount_percent": "10",
                "tax_percent": "21",
            }
        ],
        "notes": "Thank you!",
        "email_client": True,
        "payment": {
            "link": "https://pay.example/abc",
            "bank": {
                "beneficiary": "Jonas Jonaitis",
                "iban": "LT121000011101001000",
                "bic": "HABALT22",
            },
        },
    }
    body.update(overrides)
    return body


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Moto:
    """A moto S3 server on a fixed port that can be stopped and started again."""

    def __init__(self):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server = None

    def start(self):
        self.server = ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.port, verbose=False
        )
        self.server.start()

    def stop(self):
        self.server.stop()
        # stop() leaves the socket listening: close it, so clients are refused
        # at once as by a dead endpoint.
        self.server._server.server_close()
        self.server = None


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-creds"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture
def moto(aws_env):
    server = Moto()
    server.start()
    yield server
    if server.server:
        server.stop()


@pytest.fixture
def bucket(moto):
    """Create a fresh bucket on the moto server; return a boto3 client and name."""
    client = boto3.client("s3", endpoint_url=moto.endpoint, region_name="us-east-1")
    name = "paypages-" + str(moto.port)
    client.create_bucket(Bucket=name)
    return client, name


class RequestCounter:
    """Count the S3 operations a boto3 client calls, by operation name."""

    def __init__(self, client):
        self.calls = []
        client.meta.events.register("before-call.s3", self._count)

    def _count(self, model, **kwargs):
        self.calls.append(model.name)

    def count(self, operation):
        return self.calls.count(operation)

    def reset(self):
        self.calls.clear()


@pytest.fixture
def count_requests():
    return RequestCounter
