"""The admin publishing to a real S3 server over HTTP (moto's server mode)."""

import pytest

from admin import ConfigError, create_app, publishing
from admin.db import db
from tests.conftest import PASSWORD, draft_json


@pytest.fixture
def s3_app(make_app, bucket, moto):
    return make_app(
        PUBLISH_URL=f"s3://{bucket[1]}/pages",
        S3_ENDPOINT_URL=moto.endpoint,
        PUBLIC_BASE_URL="https://pay.example/pages",
    )


@pytest.fixture
def s3_call(s3_app):
    from admin import tokens
    from admin.auth import create_owner

    with s3_app.app_context():
        owner = create_owner("s3@example.com", PASSWORD)
        db.session.commit()
        _, secret = tokens.create(owner)
    client = s3_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    def call(method, path, json=None):
        return client.open(f"/api/v1{path}", method=method, json=json, headers=headers)

    return call


def bucket_keys(bucket) -> dict[str, bytes]:
    client, name = bucket
    listed = client.list_objects_v2(Bucket=name).get("Contents", [])
    return {
        item["Key"]: client.get_object(Bucket=name, Key=item["Key"])["Body"].read()
        for item in listed
    }


def output_files(app) -> dict[str, bytes]:
    from pathlib import Path

    root = Path(app.config["OUTPUT_DIR"])
    return {
        "pages/" + path.relative_to(root).as_posix(): path.read_bytes()
        for path in root.rglob("*")
        if path.is_file()
    }


def test_issuing_puts_the_page_where_the_share_link_points(s3_app, s3_call, bucket):
    draft = s3_call("POST", "/invoices", draft_json()).json
    issued = s3_call("POST", f"/invoices/{draft['id']}/issue").json
    assert issued["publish"]["state"] == "published"
    key = "pages/" + issued["url"].removeprefix("https://pay.example/pages/")
    client, name = bucket
    head = client.head_object(Bucket=name, Key=key)
    assert head["ContentType"] == "text/html; charset=utf-8"
    assert head["CacheControl"] == "no-cache"
    body = client.get_object(Bucket=name, Key=key)["Body"].read().decode()
    assert issued["number"] in body


def test_storage_down_leaves_the_invoice_pending_then_publish_pending_heals(
    s3_app, s3_call, bucket, moto
):
    drafts = [s3_call("POST", "/invoices", draft_json()).json for _ in range(2)]
    s3_call("POST", f"/invoices/{drafts[0]['id']}/issue")
    moto.stop()
    issued = s3_call("POST", f"/invoices/{drafts[1]['id']}/issue")
    assert issued.status_code == 200
    body = issued.json
    assert body["number"] == "INV-2026-0002"
    assert body["status"] == "open"
    assert body["publish"]["state"] == "pending"
    assert body["publish"]["error"]
    assert body["url"] is None
    paid = s3_call("POST", f"/invoices/{drafts[0]['id']}/paid", {})
    assert paid.json["status"] == "paid"
    assert paid.json["publish"]["state"] == "pending"

    runner = s3_app.test_cli_runner()
    failed = runner.invoke(args=["publish", "--pending"])
    assert failed.exit_code == 1
    assert "2 still pending" in failed.output

    moto.start()
    healed = runner.invoke(args=["publish", "--pending"])
    assert healed.exit_code == 0, healed.output
    assert "Published 2 pages; 0 still pending." in healed.output
    assert bucket_keys(bucket) == output_files(s3_app)
    again = s3_call("GET", f"/invoices/{drafts[1]['id']}").json
    assert again["publish"]["state"] == "published"
    assert again["url"].startswith("https://pay.example/pages/p/")


def test_retrying_changes_nothing_more(s3_app, s3_call, bucket, count_requests):
    draft = s3_call("POST", "/invoices", draft_json()).json
    s3_call("POST", f"/invoices/{draft['id']}/issue")
    with s3_app.app_context():
        counter = count_requests(publishing.site().target.client)
        done, left = publishing.publish_pending()
    assert (done, left) == (0, 0)
    assert counter.calls == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://bucket/x", "PAYPAGES_PUBLISH_URL"),
        ("s3://Bad_Bucket/x", "PAYPAGES_PUBLISH_URL"),
        ("s3://ab/x", "PAYPAGES_PUBLISH_URL"),
    ],
)
def test_a_wrong_publish_setting_stops_start_up(tmp_path, url, message):
    with pytest.raises(ConfigError, match=message):
        create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "PUBLISH_URL": url})
