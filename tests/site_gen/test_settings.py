import pytest

from site_gen import SettingsError


@pytest.mark.parametrize(
    "publish_url, message",
    [
        ("ftp://host/folder", "unknown scheme 'ftp'"),
        ("pages", "unknown scheme ''"),
        ("file://relative/folder", "absolute folder"),
        ("file:relative", "absolute folder"),
        ("s3://Upper_Case/x", "not a valid S3 bucket name"),
        ("s3://ab/x", "not a valid S3 bucket name"),
        ("s3://" + "a" * 64 + "/x", "not a valid S3 bucket name"),
        ("s3://-starts-with-hyphen/x", "not a valid S3 bucket name"),
        ("s3://two..dots/x", "not a valid S3 bucket name"),
        ("s3://192.168.1.10/x", "not a valid S3 bucket name"),
        ("s3://xn--punycode/x", "not a valid S3 bucket name"),
        ("s3://bucket/a/../b", "prefix"),
        ("s3://bucket/a b", "prefix"),
        ("s3://key:secret@bucket/x", "credentials come from"),
    ],
)
def test_bad_publish_url_is_refused_at_once(make_site, publish_url, message):
    with pytest.raises(ValueError, match="PAYPAGES_PUBLISH_URL") as raised:
        make_site(publish_url=publish_url)

    assert isinstance(raised.value, SettingsError)
    assert message in str(raised.value)
    assert "secret" not in str(raised.value)


@pytest.mark.parametrize(
    "setting, value, name",
    [
        ("public_base_url", "127.0.0.1:8001", "PAYPAGES_PUBLIC_BASE_URL"),
        ("public_base_url", "javascript:alert(1)", "PAYPAGES_PUBLIC_BASE_URL"),
        ("s3_endpoint_url", "localhost:9000", "PAYPAGES_S3_ENDPOINT_URL"),
    ],
)
def test_bad_urls_name_their_setting(make_site, setting, value, name):
    with pytest.raises(SettingsError, match=name):
        make_site(**{setting: value})


def test_content_and_output_must_differ(make_site, tmp_path):
    with pytest.raises(SettingsError, match="two folders"):
        make_site(content_dir=tmp_path / "x", output_dir=tmp_path / "x")


def test_page_key_and_url(make_site):
    site = make_site(public_base_url="https://pages.example/inv/")
    token = "A" * 22

    assert site.page_key(token) == f"p/{token}.html"
    assert site.url_for(token) == f"https://pages.example/inv/p/{token}.html"


def test_bucket_policy_without_prefix_covers_only_our_folders(make_site):
    site = make_site(publish_url="s3://my-pages")

    statement = site.bucket_policy()["Statement"]

    assert statement == [
        {
            "Sid": "PaypagesPublicRead",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": ["arn:aws:s3:::my-pages/p/*", "arn:aws:s3:::my-pages/assets/*"],
        }
    ]


def test_local_target_has_no_bucket_policy(site):
    with pytest.raises(SettingsError):
        site.bucket_policy()
