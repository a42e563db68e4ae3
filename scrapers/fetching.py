"""Fetch a page over HTTP(S) politely: a User-Agent naming specc, a timeout, and an on-disk cache.

The cache (one body file and one JSON metadata file per URL, named by the URL's sha256)
means a rules page is downloaded once, and a re-scrape is repeatable offline.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import httpx

from specc import __version__
from specc.errors import SpecError

from .output import write_atomic

USER_AGENT = f"specc/{__version__} (rules scraper; +https://github.com/specc/specc)"
TIMEOUT_S = 20.0
MAX_BYTES = 20 * 1024 * 1024  # a rules page is kilobytes; anything this big is not one
# only pages the scraper can read are cached: an empty body or a PDF would just fail again offline
CACHEABLE_TYPES = {"", "text/html", "application/xhtml+xml", "text/markdown", "text/plain", "application/json",
                   "text/json"}  # fmt: skip


@dataclass(frozen=True)
class Fetched:
    url: str  # where the content came from, after redirects
    content: bytes
    content_type: str  # lower case, without parameters, e.g. "text/html"
    charset: str | None
    from_cache: bool


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "specc" / "scrape"


def _cache_paths(cache_dir: Path, url: str) -> tuple[Path, Path]:
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:32]
    return cache_dir / f"{key}.body", cache_dir / f"{key}.json"


def _split_content_type(header: str) -> tuple[str, str | None]:
    kind, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip("\"'")
    return kind.strip().lower(), charset


def _read_cache(cache_dir: Path, url: str) -> Fetched | None:
    body, meta = _cache_paths(cache_dir, url)
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        content = body.read_bytes()
    except (OSError, ValueError):
        return None  # a missing or damaged entry is just a miss
    if info.get("url") != url:
        return None
    return Fetched(info.get("final_url", url), content, info.get("content_type", ""), info.get("charset"), True)


def _write_cache(cache_dir: Path, url: str, fetched: Fetched) -> None:
    body, meta = _cache_paths(cache_dir, url)
    info = {"url": url, "final_url": fetched.url, "content_type": fetched.content_type, "charset": fetched.charset}
    write_atomic(body, fetched.content)
    write_atomic(meta, (json.dumps(info, indent=1, sort_keys=True) + "\n").encode("utf-8"))


def make_client(transport: httpx.BaseTransport | None = None, timeout: float = TIMEOUT_S) -> httpx.Client:
    """The one HTTP client: tests pass an httpx.MockTransport, so they never touch the network."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept": "text/html, text/markdown;q=0.9, text/plain;q=0.8, */*;q=0.1"},
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=10,
        transport=transport,
    )


def _download(url: str, transport: httpx.BaseTransport | None, timeout: float) -> Fetched:
    try:
        with make_client(transport, timeout) as client:
            response = client.get(url)
    except httpx.TimeoutException:
        raise SpecError(f"timed out after {timeout:g} s", file=url) from None
    except httpx.TooManyRedirects:
        raise SpecError("too many redirects", file=url) from None
    except httpx.InvalidURL as err:
        raise SpecError(f"invalid URL: {err}", file=url) from None
    except httpx.HTTPError as err:  # DNS failure, refused connection, TLS error, ...
        detail = str(err) or type(err).__name__
        raise SpecError(f"cannot reach the server: {detail}", file=url) from None
    if response.status_code >= 400:
        raise SpecError(f"HTTP {response.status_code} {response.reason_phrase}".rstrip(), file=url)
    if len(response.content) > MAX_BYTES:
        raise SpecError(f"the page is larger than {MAX_BYTES // (1024 * 1024)} MiB; not a rules page", file=url)
    kind, charset = _split_content_type(response.headers.get("content-type", ""))
    return Fetched(str(response.url), response.content, kind, charset, False)


def fetch(
    url: str,
    *,
    cache_dir: Path | None = None,
    refresh: bool = False,
    use_cache: bool = True,
    transport: httpx.BaseTransport | None = None,
    timeout: float = TIMEOUT_S,
) -> Fetched:
    """GET `url`, from the cache unless `refresh`; `use_cache=False` neither reads nor writes it.

    Raises SpecError (one line naming the URL) for HTTP errors, timeouts and unreachable hosts;
    a failed fetch caches nothing.
    """
    if not url.lower().startswith(("http://", "https://")):
        raise SpecError("only http:// and https:// URLs can be fetched", file=url)
    directory = cache_dir if cache_dir is not None else default_cache_dir()
    if use_cache and not refresh:
        cached = _read_cache(directory, url)
        if cached is not None:
            return cached
    fetched = _download(url, transport, timeout)
    if use_cache and fetched.content.strip() and fetched.content_type in CACHEABLE_TYPES:
        try:
            _write_cache(directory, url, fetched)
        except OSError:
            pass  # an unwritable cache slows the next run down; it does not fail this one
    return fetched
