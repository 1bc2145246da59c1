import json
import urllib.error
import urllib.request

import pytest

from site_gen import PublishError

TOKEN = "S3_page_token_for_tests_0"
OLD = "S3_old_token_for_tests_00"


@pytest.fixture
def s3_site(make_site, bucket, moto):
    client, name = bucket
    return make_site(publish_url=f"s3://{name}/invoices", s3_endpoint_url=moto.endpoint)


def anonymous_get(url):
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


def bucket_keys(client, name, prefix=""):
    listing = client.list_objects_v2(Bucket=name, Prefix=prefix)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def test_page_is_put_with_its_headers(s3_site, make_page, bucket, moto):
    client, name = bucket
    s3_site.write(make_page(token=TOKEN))

    s3_site.publish(TOKEN)

    page = client.get_object(Bucket=name, Key=f"invoices/p/{TOKEN}.html")
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == "no-cache"
    css_key = "invoices/" + s3_site.builder.assets.css_key
    css = client.get_object(Bucket=name, Key=css_key)
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert css["CacheControl"] == "public, max-age=31536000, immutable"


def test_bucket_policy_lets_anyone_get_pages_but_not_list(
    s3_site, make_page, bucket, moto
):
    client, name = bucket
    s3_site.write(make_page(token=TOKEN))
    s3_site.publish(TOKEN)
    client.put_object(Bucket=name, Key="private/secret.txt", Body=b"x")

    client.put_bucket_policy(Bucket=name, Policy=json.dumps(s3_site.bucket_policy()))

    page = f"{moto.endpoint}/{name}/invoices/p/{TOKEN}.html"
    assert anonymous_get(page) == (
        200,
        (s3_site.output_dir / f"p/{TOKEN}.html").read_bytes(),
    )
    assert anonymous_get(f"{moto.endpoint}/{name}/private/secret.txt")[0] == 403
    # moto lets anonymous listing through whatever the policy, so check the
    # policy itself grants GetObject alone.
    assert s3_site.bucket_policy()["Statement"] == [
        {
            "Sid": "PaypagesPublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{name}/invoices/*",
        }
    ]


def test_assets_go_up_before_the_page(s3_site, make_page, count_requests):
    s3_site.write(make_page(token=TOKEN))
    keys = []
    s3_site.target.client.meta.events.register(
        "before-parameter-build.s3.PutObject",
        lambda params, **kw: keys.append(params["Key"]),
    )

    s3_site.publish(TOKEN)

    assert keys == [
        "invoices/" + s3_site.builder.assets.css_key,
        f"invoices/p/{TOKEN}.html",
    ]


def test_only_changed_objects_are_sent(s3_site, make_page, count_requests):
    s3_site.write(make_page(token=TOKEN))
    s3_site.publish(TOKEN)
    requests = count_requests(s3_site.target.client)

    s3_site.publish(TOKEN)
    assert requests.calls == []

    s3_site.write(make_page(token=TOKEN, status="paid", paid_on="2026-12-10"))
    s3_site.publish(TOKEN)
    assert requests.calls == ["PutObject"]


def test_publish_never_lists_the_bucket(s3_site, make_page, count_requests):
    requests = count_requests(s3_site.target.client)
    s3_site.write(make_page(token=OLD))
    s3_site.publish(OLD)
    s3_site.write(make_page(token=TOKEN))

    s3_site.publish(TOKEN, retired=[OLD])

    assert requests.count("ListObjectsV2") == 0
    assert set(requests.calls) == {"PutObject", "DeleteObject"}


def test_retired_token_is_deleted(s3_site, make_page, bucket):
    client, name = bucket
    s3_site.write(make_page(token=OLD))
    s3_site.publish(OLD)
    s3_site.write(make_page(token=TOKEN))

    s3_site.publish(TOKEN, retired=[OLD])

    assert bucket_keys(client, name) == [
        "invoices/" + s3_site.builder.assets.css_key,
        f"invoices/p/{TOKEN}.html",
    ]


def test_publish_all_stays_under_the_prefix(s3_site, make_page, bucket):
    client, name = bucket
    client.put_object(Bucket=name, Key="invoices/p/stray.html", Body=b"x")
    client.put_object(Bucket=name, Key="other/keep.html", Body=b"x")
    client.put_object(Bucket=name, Key="invoicesX/keep.html", Body=b"x")
    s3_site.write(make_page(token=TOKEN))
    s3_site.build(TOKEN)

    result = s3_site.publish_all()

    assert result.deleted == ["p/stray.html"]
    assert bucket_keys(client, name) == [
        "invoices/" + s3_site.builder.assets.css_key,
        f"invoices/p/{TOKEN}.html",
        "invoicesX/keep.html",
        "other/keep.html",
    ]


def test_dead_endpoint_then_retry(s3_site, make_page, bucket, moto):
    client, name = bucket
    s3_site.write(make_page(token=TOKEN))
    moto.stop()

    with pytest.raises(PublishError) as raised:
        s3_site.publish(TOKEN)

    assert raised.value.reason == "The storage endpoint could not be reached."
    moto.start()
    s3_site.publish(TOKEN)
    assert bucket_keys(client, name, "invoices/") == [
        "invoices/" + key for key in s3_site.output_files()
    ]


def test_stop_between_asset_and_page_is_retried(s3_site, make_page, bucket, moto):
    client, name = bucket
    s3_site.write(make_page(token=TOKEN))

    def stop_after_first_put(**kwargs):
        if moto.server:
            moto.stop()

    s3_site.target.client.meta.events.register(
        "after-call.s3.PutObject", stop_after_first_put
    )
    with pytest.raises(PublishError):
        s3_site.publish(TOKEN)
    s3_site.target.client.meta.events.unregister(
        "after-call.s3.PutObject", stop_after_first_put
    )
    moto.start()

    assert s3_site.manifest.all() == {
        s3_site.builder.assets.css_key: s3_site.manifest.get(
            s3_site.builder.assets.css_key
        )
    }
    s3_site.publish(TOKEN)
    assert bucket_keys(client, name, "invoices/") == [
        "invoices/" + key for key in s3_site.output_files()
    ]


def test_missing_bucket_is_a_publish_error(make_site, make_page, moto):
    site = make_site(publish_url="s3://no-such-bucket/x", s3_endpoint_url=moto.endpoint)
    site.write(make_page(token=TOKEN))

    with pytest.raises(PublishError, match="does not exist"):
        site.publish(TOKEN)
    assert site.manifest.all() == {}


def test_missing_credentials_is_a_publish_error(
    make_site, make_page, moto, monkeypatch
):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    site = make_site(publish_url="s3://some-bucket/x", s3_endpoint_url=moto.endpoint)
    site.write(make_page(token=TOKEN))

    with pytest.raises(PublishError, match="credentials"):
        site.publish(TOKEN)
