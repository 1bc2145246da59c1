import pytest
from flask_migrate import upgrade

from admin import ConfigError, create_app
from admin.db import db
from admin.models import Owner
from tests.conftest import PASSWORD, csrf_token


def test_first_visit_offers_sign_up(client):
    response = client.get("/signin")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/signup")
    page = client.get("/", follow_redirects=True)
    assert "Create your paypages account" in page.text
    assert "Sign in to continue" not in page.text


def test_sign_up_signs_in_and_sign_out_signs_out(client, auth):
    response = auth.signup()
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_session_cookie_is_httponly_and_lax(client, auth):
    auth.signup()
    cookie = client.get_cookie("session")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_session_cookie_is_secure_over_https(client):
    page = client.get("/signup", base_url="https://admin.example")
    response = client.post(
        "/signup",
        base_url="https://admin.example",
        data={
            "email": "a@example.com",
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_unknown_email_and_wrong_password_get_one_message(client, auth):
    auth.signup()
    auth.logout()
    wrong = auth.login(password="not the password")
    unknown = auth.login(email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 200
    assert b"Wrong email or password." in wrong.data
    assert b"Wrong email or password." in unknown.data
    assert b"nobody@example.com" in unknown.data  # the form keeps the input only


def test_sign_in_is_rate_limited_per_account(app, client, auth):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    auth.signup()
    auth.logout()
    for _ in range(3):
        assert auth.login(password="wrong password").status_code == 200
    blocked = auth.login()  # even the right password waits now
    assert blocked.status_code == 429
    assert b"Too many attempts" in blocked.data


def test_sign_in_is_rate_limited_per_address(app, client, auth):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    auth.signup()
    auth.logout()
    for n in range(3):
        auth.login(email=f"someone{n}@example.com")
    assert auth.login().status_code == 429


def test_post_without_csrf_token_is_refused(client, auth):
    auth.signup()
    response = client.post("/invoices/new", data={"client-name": "ACME"})
    assert response.status_code == 400
    assert b"expired" in response.data


def test_real_password_hash_is_scrypt_at_two_to_the_seventeenth(tmp_path):
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path})
    app.config["PASSWORD_HASH"] = "scrypt:131072:8:1"  # the shipped default
    with app.app_context():
        upgrade()
        from admin.auth import create_owner

        create_owner("a@example.com", PASSWORD)
        db.session.commit()
        stored = db.session.query(Owner).one().password_hash
    assert stored.startswith("scrypt:131072:8:1$")


def test_weaker_hash_is_refused_outside_tests(tmp_path, monkeypatch):
    monkeypatch.setenv("PAYPAGES_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("PAYPAGES_PASSWORD_HASH", "scrypt:16384:8:1")
    with pytest.raises(ConfigError, match="PASSWORD_HASH"):
        create_app({"INSTANCE_PATH": tmp_path})


@pytest.mark.parametrize("key", [None, "dev", "short"])
def test_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch, key):
    monkeypatch.delenv("PAYPAGES_SECRET_KEY", raising=False)
    if key:
        monkeypatch.setenv("PAYPAGES_SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"INSTANCE_PATH": tmp_path})


def test_local_demo_makes_and_keeps_a_random_key(tmp_path, monkeypatch):
    monkeypatch.delenv("PAYPAGES_SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": tmp_path}, local_demo=True)
    second = create_app({"INSTANCE_PATH": tmp_path}, local_demo=True)
    assert len(first.config["SECRET_KEY"]) >= 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_sign_out_ends_every_copy_of_the_session(app, client, auth):
    auth.signup()
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302


def test_changing_the_password_signs_out_other_sessions(app, client, auth):
    auth.signup()
    other = app.test_client()
    Auth = type(auth)
    Auth(other).login()
    assert other.get("/").status_code == 200
    page = client.get("/profile/password")
    wrong = client.post(
        "/profile/password",
        data={"csrf_token": csrf_token(page), "current": "nope", "new": "x" * 12},
    )
    assert "not your current password" in wrong.text
    changed = client.post(
        "/profile/password",
        data={"csrf_token": csrf_token(page), "current": PASSWORD, "new": "n" * 12},
    )
    assert changed.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    auth.logout()
    assert auth.login(password="n" * 12).status_code == 302
