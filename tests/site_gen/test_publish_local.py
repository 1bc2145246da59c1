import threading
import urllib.error
import urllib.request
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

OLD = "Old_token_for_rotation_00"
NEW = "New_token_for_rotation_11"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def http_folder(tmp_path):
    """Serve tmp_path/public over plain HTTP, as a static host would."""
    root = tmp_path / "public"
    root.mkdir()
    handler = partial(QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def status_of(url):
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_publish_copies_the_page_and_assets(make_site, make_page, tmp_path, tree):
    site = make_site()
    page = make_page()
    site.write(page)

    url = site.publish(page["token"])

    assert url == f"http://127.0.0.1:8001/p/{page['token']}.html"
    assert tree(tmp_path / "public") == tree(site.output_dir)
    published = tmp_path / "public" / site.page_key(page["token"])
    assert (
        published.read_bytes()
        == (site.output_dir / site.page_key(page["token"])).read_bytes()
    )


def test_publish_uploads_only_what_changed(make_site, make_page):
    site = make_site()
    page = make_page()
    site.write(page)
    puts = []
    put = site.target.put
    site.target.put = lambda key, data: puts.append(key) or put(key, data)

    site.publish(page["token"])
    site.publish(page["token"])
    site.write(make_page(status="paid", paid_on="2026-12-10"))
    site.publish(page["token"])

    assert puts == [site.builder.assets.css_key, site.page_key(page["token"])] + [
        site.page_key(page["token"])
    ]


def test_publish_needs_the_content_file(site, make_page):
    from site_gen import PageError

    with pytest.raises(PageError):
        site.publish(make_page()["token"])


def test_retired_token_stops_answering(make_site, make_page, http_folder):
    site = make_site(public_base_url=http_folder)
    site.write(make_page(token=OLD))
    old_url = site.publish(OLD)
    assert status_of(old_url) == 200

    site.write(make_page(token=NEW))
    new_url = site.publish(NEW, retired=[OLD])

    assert status_of(new_url) == 200
    assert status_of(old_url) == 404
    assert not (site.content_dir / f"{OLD}.md").exists()
    assert not (site.output_dir / site.page_key(OLD)).exists()


def test_remove_deletes_every_trace(make_site, make_page, tmp_path, tree):
    site = make_site()
    site.write(make_page(token=OLD))
    site.publish(OLD)

    site.remove(OLD)

    assert tree(site.content_dir) == []
    assert tree(site.output_dir) == [site.builder.assets.css_key]
    assert tree(tmp_path / "public") == [site.builder.assets.css_key]


def test_publish_all_mirrors_output(make_site, make_page, tmp_path, tree):
    site = make_site()
    site.write(make_page(token=OLD))
    site.build(OLD)
    stray = tmp_path / "public" / "p" / "Stray_token_from_before_00.html"
    stray.parent.mkdir(parents=True)
    stray.write_text("old")

    result = site.publish_all()

    assert sorted(result.uploaded) == tree(site.output_dir)
    assert result.deleted == ["p/Stray_token_from_before_00.html"]
    assert tree(tmp_path / "public") == tree(site.output_dir)
    assert site.publish_all().uploaded == []
