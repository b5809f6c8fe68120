"""A local web server for the feed tests: feeds in every dialect, and every way to misbehave.

It listens on 127.0.0.1 and, for the redirect tests, on 127.0.0.2 as a second "host".
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field

from aiohttp import web

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
<title>Brussels chapter blog</title><link>https://brussels.example.org/</link>
<description>What we did</description>
<item><guid>post-3</guid><title>Soup &amp; &lt;solidarity&gt;</title>
<link>https://brussels.example.org/soup</link>
<pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>
<description><![CDATA[<p>We cooked <b>soup</b> for 80 people.</p><script>alert(1)</script>]]>
</description>
</item>
<item><guid>post-2</guid><title>Flyers at the market</title>
<link>https://brussels.example.org/flyers</link>
<pubDate>Sat, 28 Nov 2026 09:30:00 +0100</pubDate>
<description>Escaped HTML with a &amp;lt;3 in it.</description></item>
<item><guid>post-1</guid><title>Our first meeting</title>
<link>https://brussels.example.org/first</link>
<pubDate>Mon, 02 Nov 2026 19:00:00 GMT</pubDate><description>Twelve of us.</description></item>
</channel></rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>The organization</title><link href="https://org.example.org/"/>
<id>urn:org</id><updated>2026-12-01T08:00:00Z</updated>
<entry><id>urn:org:2</id><title type="html">Winter &lt;em&gt;campaign&lt;/em&gt;</title>
<link rel="alternate" href="https://org.example.org/winter"/>
<updated>2026-12-01T08:00:00Z</updated>
<summary type="html">&lt;p&gt;Join us in every city.&lt;/p&gt;</summary></entry>
<entry><id>urn:org:1</id><title>Autumn report</title>
<link rel="alternate" href="https://org.example.org/autumn"/>
<updated>2026-10-15T12:00:00Z</updated>
<content type="html">&lt;div&gt;Numbers &amp;amp; stories&lt;/div&gt;</content></entry>
</feed>
"""

RDF = """<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://gent.example.org/"><title>Gent</title>
<link>https://gent.example.org/</link><description>Gent</description>
<items><rdf:Seq><rdf:li rdf:resource="https://gent.example.org/a"/></rdf:Seq></items></channel>
<item rdf:about="https://gent.example.org/a"><title>Repair café</title>
<link>https://gent.example.org/a</link><dc:date>2026-11-20T18:00:00+01:00</dc:date>
<description>Bring what is broken.</description></item>
</rdf:RDF>
"""

PAGE = """<!doctype html><html><head><title>Brussels</title>
<link rel="stylesheet" href="/style.css">
<link rel="alternate" type="application/rss+xml" title="Posts" href="/rss.xml">
</head><body><p>Welcome</p></body></html>
"""

NO_FEED_PAGE = "<!doctype html><html><head><title>Hi</title></head><body>No feed</body></html>"

BROKEN = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Broken & proud</title>
<item><title>Unclosed <b>bold</title><link>https://broken.example.org/1</link>
<description>Still readable</description></item>
</channel>
"""

NO_IDS = """<?xml version="1.0"?>
<rss version="2.0"><channel><title>No ids</title>
<item><title>Only a title</title></item>
<item><title>Another title</title><description>No date, no link</description></item>
<item><guid>same</guid><title>First under one id</title><link>https://x.example.org/1</link></item>
<item><guid>same</guid><title>Second under one id</title><link>https://x.example.org/2</link></item>
</channel></rss>
"""

CYRILLIC_TITLE = "Новости отделения"
CYRILLIC_ITEM = "Субботник в парке"


def cyrillic_feed(encoding: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
        f"<title>{CYRILLIC_TITLE}</title><link>https://ru.example.org/</link>"
        f"<item><guid>1</guid><title>{CYRILLIC_ITEM}</title>"
        f"<link>https://ru.example.org/1</link></item></channel></rss>"
    ).encode(encoding)


@dataclass
class FeedServer:
    hits: Counter[str] = field(default_factory=Counter)
    user_agents: list[str] = field(default_factory=list)
    concurrent: int = 0
    max_concurrent: int = 0
    # What /live.xml serves: the tests edit it between fetches.
    live: str = RSS
    _runners: list[web.AppRunner] = field(default_factory=list)
    _ports: dict[str, int] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._ports['127.0.0.1']}"

    @property
    def other_url(self) -> str:
        """The same server as another host (127.0.0.2), to test what a redirect reaches."""
        return f"http://127.0.0.2:{self._ports['127.0.0.2']}"

    async def start(self) -> None:
        app = web.Application()
        app.middlewares.append(self._count)
        add = app.router.add_get
        add("/rss.xml", self._text(RSS, "application/rss+xml"))
        add("/atom.xml", self._text(ATOM, "application/atom+xml; charset=utf-8"))
        add("/rdf.xml", self._text(RDF, "application/rdf+xml"))
        add("/page.html", self._text(PAGE, "text/html; charset=utf-8"))
        add("/nofeed.html", self._text(NO_FEED_PAGE, "text/html"))
        add("/broken.xml", self._text(BROKEN, "application/xml"))
        add("/noids.xml", self._text(NO_IDS, "application/rss+xml"))
        add("/plain.txt", self._text("just some words, not a feed", "text/plain"))
        add("/cp1251.xml", self._bytes(cyrillic_feed("windows-1251"), "application/xml"))
        # The header claims UTF-8; the XML declaration (koi8-r) tells the truth.
        add("/koi8.xml", self._bytes(cyrillic_feed("koi8-r"), "text/xml; charset=utf-8"))
        add("/live.xml", self._live)
        add("/etag.xml", self._etag)
        add("/empty", self._text("", "application/rss+xml"))
        add("/status/{code}", self._status)
        add("/redirect", self._redirect)
        add("/chain/{n}", self._chain)
        add("/slow", self._slow)
        add("/big", self._big)
        add("/big-declared", self._big_declared)
        add("/busy", self._busy)
        for host in ("127.0.0.1", "127.0.0.2"):
            runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.2)
            await runner.setup()
            site = web.TCPSite(runner, host, 0)
            await site.start()
            server = site._server  # the only way aiohttp tells which port it picked
            assert server is not None and server.sockets
            self._ports[host] = server.sockets[0].getsockname()[1]
            self._runners.append(runner)

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()

    @web.middleware
    async def _count(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.hits[request.path] += 1
        self.user_agents.append(request.headers.get("User-Agent", ""))
        return await handler(request)

    @staticmethod
    def _text(body: str, content_type: str):  # type: ignore[no-untyped-def]
        return FeedServer._bytes(body.encode("utf-8"), content_type)

    @staticmethod
    def _bytes(body: bytes, content_type: str):  # type: ignore[no-untyped-def]
        async def serve(request: web.Request) -> web.Response:
            return web.Response(body=body, headers={"Content-Type": content_type})

        return serve

    async def _live(self, request: web.Request) -> web.Response:
        return web.Response(text=self.live, content_type="application/rss+xml")

    async def _etag(self, request: web.Request) -> web.Response:
        headers = {"ETag": '"v1"', "Last-Modified": "Tue, 01 Dec 2026 10:00:00 GMT"}
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers=headers)
        return web.Response(text=RSS, content_type="application/rss+xml", headers=headers)

    async def _status(self, request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="no")

    async def _redirect(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def _chain(self, request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return web.Response(text=RSS, content_type="application/rss+xml")
        raise web.HTTPFound(f"/chain/{n - 1}")

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        # A byte every 0.3 s: no single read waits long, so per-phase timeouts never fire.
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        for byte in RSS.encode():
            await response.write(bytes([byte]))
            await asyncio.sleep(0.3)
        return response

    async def _big(self, request: web.Request) -> web.StreamResponse:
        # 6 MB, chunked: no Content-Length to refuse it by, only counting works.
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'<?xml version="1.0"?><rss version="2.0"><channel>')
        chunk = b"<item><title>x</title></item>" * 2048
        sent = 0
        try:
            while sent < 6 * 1024 * 1024:
                await response.write(chunk)
                sent += len(chunk)
        except ConnectionResetError:
            pass  # the fetcher hung up, as it should
        return response

    async def _big_declared(self, request: web.Request) -> web.Response:
        return web.Response(body=b" " * (6 * 1024 * 1024), content_type="application/rss+xml")

    async def _busy(self, request: web.Request) -> web.Response:
        self.concurrent += 1
        self.max_concurrent = max(self.max_concurrent, self.concurrent)
        try:
            await asyncio.sleep(0.2)
        finally:
            self.concurrent -= 1
        return web.Response(text=RSS, content_type="application/rss+xml")
