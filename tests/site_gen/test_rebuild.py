import gc
import logging
import sqlite3
from contextlib import closing

import pytest
from pelican.contents import Page

from site_gen import PageError
from site_gen.content import dumps


def fill(site, make_page, count):
    tokens = [f"Rebuild_test_token_{n:05d}" for n in range(count)]
    for token in tokens:
        text = dumps(make_page(token=token, number=f"INV-{token[-5:]}"))
        (site.content_dir / f"{token}.md").write_text(text, encoding="utf-8")
    return tokens


@pytest.mark.parametrize("processes", [1, 2])
def test_rebuild_all_builds_every_page(site, make_page, tree, processes):
    tokens = fill(site, make_page, 450)
    stale = site.output_dir / "p" / "Gone_token_from_before_00.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    done = []

    count = site.rebuild_all(progress=done.append, processes=processes)

    assert count == 450
    assert sum(done) == 450 and len(done) == 3
    css = site.builder.assets.css_key
    assert tree(site.output_dir) == [css] + [f"p/{t}.html" for t in tokens]


def test_rebuild_all_reports_unreadable_files_and_builds_the_rest(
    site, make_page, tree
):
    tokens = fill(site, make_page, 5)
    (site.content_dir / f"{tokens[2]}.md").write_text("garbage", encoding="utf-8")

    with pytest.raises(PageError, match="1 content file") as raised:
        site.rebuild_all(processes=1)

    assert raised.value.tokens == (tokens[2],)
    pages = [key for key in tree(site.output_dir) if key.startswith("p/")]
    assert pages == [f"p/{t}.html" for t in tokens if t != tokens[2]]


def test_pelican_logs_no_token_above_debug(site, make_page, caplog):
    caplog.set_level(logging.INFO)
    tokens = fill(site, make_page, 2)
    (site.content_dir / f"{tokens[1]}.md").write_text("garbage", encoding="utf-8")

    site.build(tokens[0])
    with pytest.raises(PageError):
        site.build(tokens[1])
    site.publish(tokens[0])

    for record in caplog.records:
        text = record.getMessage()
        assert not any(token in text for token in tokens), text
        assert "ACME" not in text


def qr_rows(site):
    with closing(sqlite3.connect(site.qr_cache_path)) as db:
        return db.execute("SELECT token, slot, digest FROM qr_codes").fetchall()


def test_qr_codes_are_drawn_once_per_payload(site, make_page, decode_qr):
    page = make_page()
    first = site.render(page)
    [(token, slot, digest)] = qr_rows(site)

    assert (token, slot) == (page["token"], "epc")
    assert site.render(page) == first
    assert qr_rows(site) == [(token, slot, digest)]

    page["totals"]["due"] = "99.00"
    assert decode_qr(site.render(page))[0].split("\n")[7] == "EUR99"
    [(_, _, new_digest)] = qr_rows(site)
    assert new_digest != digest

    site.remove(page["token"])
    assert qr_rows(site) == []


def test_built_pages_do_not_stay_in_memory(site, make_page):
    tokens = fill(site, make_page, 3)

    for token in tokens:
        site.build(token)
    gc.collect()

    assert [o for o in gc.get_objects() if isinstance(o, Page)] == []
