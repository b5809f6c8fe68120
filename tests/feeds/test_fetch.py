"""The fetcher against a real local web server: every cap and every refusal."""

from __future__ import annotations

import asyncio
import ipaddress
import time

import pytest

from bot.feeds.discover import find_feed
from bot.feeds.errors import FeedError, Reason
from bot.feeds.fetch import USER_AGENT, Fetcher
from tests.support.feed_server import FeedServer


async def test_a_feed_is_fetched_with_the_bots_user_agent(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(f"{feed_server.url}/rss.xml")
    assert result.status == 200 and not result.not_modified
    assert result.body.startswith(b"<?xml")
    assert feed_server.user_agents == [USER_AGENT]


async def test_conditional_get_sends_the_validators_back_and_a_304_costs_nothing(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    first = await fetcher.fetch(f"{feed_server.url}/etag.xml")
    assert first.validators.etag == '"v1"'
    assert first.validators.last_modified == "Tue, 01 Dec 2026 10:00:00 GMT"
    second = await fetcher.fetch(f"{feed_server.url}/etag.xml", first.validators)
    assert second.status == 304 and second.not_modified and second.body == b""
    assert second.validators == first.validators  # kept for the fetch after


async def test_an_empty_200_or_the_same_bytes_again_count_as_unchanged(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    assert (await fetcher.fetch(f"{feed_server.url}/empty")).not_modified
    first = await fetcher.fetch(f"{feed_server.url}/rss.xml")
    again = await fetcher.fetch(f"{feed_server.url}/rss.xml", first.validators)
    assert again.not_modified
    feed_server.live = feed_server.live.replace("Twelve", "Thirteen")
    live = await fetcher.fetch(f"{feed_server.url}/live.xml", first.validators)
    assert not live.not_modified


@pytest.mark.parametrize("code", [404, 500, 403])
async def test_http_errors_say_which_status(
    feed_server: FeedServer, fetcher: Fetcher, code: int
) -> None:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(f"{feed_server.url}/status/{code}")
    assert caught.value.reason is Reason.HTTP_STATUS and caught.value.status == code


async def test_five_redirects_are_followed_and_a_sixth_is_refused(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(f"{feed_server.url}/chain/5")
    assert result.url.endswith("/chain/0") and result.status == 200
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(f"{feed_server.url}/chain/6")
    assert caught.value.reason is Reason.TOO_MANY_REDIRECTS


@pytest.mark.parametrize(
    "url", ["ftp://example.org/feed", "file:///etc/passwd", "gopher://x", "javascript:alert(1)"]
)
async def test_only_http_and_https(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(url)
    assert caught.value.reason is Reason.SCHEME


@pytest.mark.parametrize("url", ["http://", "http://exa mple.org:port/", "https://:80/"])
async def test_not_a_url(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(url)
    assert caught.value.reason is Reason.NOT_A_URL


async def test_a_redirect_to_a_file_url_is_refused(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(f"{feed_server.url}/redirect?to=file:///etc/passwd")
    assert caught.value.reason is Reason.SCHEME


async def test_private_addresses_are_refused_by_default(feed_server: FeedServer) -> None:
    async with Fetcher() as fetcher:
        for url in (f"{feed_server.url}/rss.xml", "http://[::1]:9/", "http://[::ffff:127.0.0.1]/"):
            with pytest.raises(FeedError) as caught:
                await fetcher.fetch(url)
            assert caught.value.reason is Reason.PRIVATE_ADDRESS, url
    assert feed_server.hits["/rss.xml"] == 0


async def test_a_name_is_checked_on_the_address_actually_connected(
    feed_server: FeedServer,
) -> None:
    # "localhost" is no IP literal: only the connected socket shows it is loopback (as with
    # a name that a rebinding DNS server points at 127.0.0.1 after the first look-up).
    port = feed_server.url.rsplit(":", 1)[1]
    async with Fetcher() as fetcher:
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch(f"http://localhost:{port}/rss.xml")
    assert caught.value.reason is Reason.PRIVATE_ADDRESS
    assert feed_server.hits["/rss.xml"] == 0  # refused before the request was sent


async def test_every_redirect_is_checked_again(feed_server: FeedServer) -> None:
    # 127.0.0.1 plays a public site here, 127.0.0.2 the bot's own network.
    only_first = ipaddress.ip_address("127.0.0.1")
    async with Fetcher(allowed=lambda address: address == only_first) as fetcher:
        assert (await fetcher.fetch(f"{feed_server.url}/rss.xml")).status == 200
        for target in (f"{feed_server.other_url}/rss.xml", "http://localhost.localdomain:1/"):
            with pytest.raises(FeedError) as caught:
                await fetcher.fetch(f"{feed_server.url}/redirect?to={target}")
            assert caught.value.reason in (Reason.PRIVATE_ADDRESS, Reason.NETWORK), target
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch(f"{feed_server.url}/redirect?to={feed_server.other_url}/rss.xml")
        assert caught.value.reason is Reason.PRIVATE_ADDRESS
    assert feed_server.hits["/rss.xml"] == 1  # only the direct fetch


async def test_a_redirect_to_127_0_0_1_is_followed_when_private_addresses_are_allowed(
    feed_server: FeedServer, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(f"{feed_server.url}/redirect?to={feed_server.other_url}/rss.xml")
    assert result.status == 200 and result.url.startswith(feed_server.other_url)


async def test_a_body_that_trickles_is_cut_at_the_total_cap(feed_server: FeedServer) -> None:
    async with Fetcher(allow_private=True, total_seconds=1.0) as fetcher:
        started = time.monotonic()
        with pytest.raises(FeedError) as caught:
            await fetcher.fetch(f"{feed_server.url}/slow")
    assert caught.value.reason is Reason.TOO_SLOW
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("path", ["/big", "/big-declared"])
async def test_a_6_mb_feed_is_refused(feed_server: FeedServer, fetcher: Fetcher, path: str) -> None:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch(f"{feed_server.url}{path}")
    assert caught.value.reason is Reason.TOO_LARGE


async def test_nothing_listening_is_a_network_error(fetcher: Fetcher) -> None:
    with pytest.raises(FeedError) as caught:
        await fetcher.fetch("http://127.0.0.1:9/")
    assert caught.value.reason is Reason.NETWORK


async def test_fetches_to_one_host_are_capped(feed_server: FeedServer) -> None:
    async with Fetcher(allow_private=True, per_host=2) as fetcher:
        urls = [f"{feed_server.url}/busy"] * 6 + [f"{feed_server.other_url}/busy"] * 2
        results = await asyncio.gather(*(fetcher.fetch(url) for url in urls))
    assert all(result.status == 200 for result in results)
    # Two at a time on 127.0.0.1, and the other host was not held up behind them.
    assert feed_server.max_concurrent in (3, 4)


async def test_proxy_settings_from_the_environment_are_ignored(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    async with Fetcher(allow_private=True) as fetcher:
        assert (await fetcher.fetch(f"{feed_server.url}/rss.xml")).status == 200


async def test_a_page_leads_to_its_feed(feed_server: FeedServer, fetcher: Fetcher) -> None:
    result, feed = await find_feed(fetcher, f"{feed_server.url}/page.html")
    assert result.url == f"{feed_server.url}/rss.xml"
    assert feed.title == "Brussels chapter blog" and len(feed.entries) == 3


async def test_a_page_with_no_feed_says_so(feed_server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FeedError) as caught:
        await find_feed(fetcher, f"{feed_server.url}/nofeed.html")
    assert caught.value.reason is Reason.NO_FEED_FOUND


async def test_something_else_is_not_a_feed(feed_server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FeedError) as caught:
        await find_feed(fetcher, f"{feed_server.url}/plain.txt")
    assert caught.value.reason is Reason.NOT_A_FEED
