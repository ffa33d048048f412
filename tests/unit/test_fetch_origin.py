"""crawler.fetch.origin keys the politeness gate: its fast path must agree with urlsplit."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from crawler.fetch import origin

URLS = [
    "http://www.gov.cn/zhengce/index.htm",
    "https://a.gov.cn:8443/x/y?z=1#top",
    "http://a.gov.cn?q=/not/a/path",
    "http://a.gov.cn#frag/with/slash",
    "https://a.gov.cn",
    "http://user:pw@a.gov.cn/x",
    "http://[::1]:8080/x",  # bracketed host: urlsplit validates it
    "http://中国政府.cn/x",  # non-ASCII host: urlsplit checks its normalisation
    "http://a.gov.cn\t/x",  # urlsplit strips tabs and newlines
    "HTTP://A.gov.cn/x",  # urlsplit lowercases the scheme
    "ftp://a.gov.cn/x",
    "http://",
]


@pytest.mark.parametrize("url", URLS)
def test_origin_is_scheme_and_netloc_as_urlsplit_reads_them(url: str) -> None:
    parts = urlsplit(url)
    assert origin(url) == f"{parts.scheme}://{parts.netloc}"
