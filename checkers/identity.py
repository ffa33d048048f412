"""Site identity check points (功能设计, INDICATORS.md §9.2, §9.3, §10): 网站标识码 in the footer,
the SiteIDCode tag and the 找错 entry agree with the registry; ICP and 公安 records; 党政机关网站标识;
网站地图; a .gov.cn (or .政务) domain. Their point values are unknown: the score reports them."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from urllib.parse import urlsplit

from checkers.model import Evidence, Measure, SiteContext
from crawler.model import Footer, HomeFacts

GOV_SUFFIXES = (".gov.cn", ".政务", ".xn--zfr164b")  # .xn--zfr164b is .政务 in IDNA form


def identity_measure(item: str, home: HomeFacts, site: SiteContext) -> Measure:
    """The check point `item` (a key of IDENTITY_ITEMS) on the home page."""
    if item == "domain":
        return _domain(home)
    if not home.measured:
        return Measure(item, None, "首页未能读取")
    footer = home.footer or Footer()
    count, detail = IDENTITY_ITEMS[item](footer, site)
    if count is None:
        return Measure(item, None, detail)
    seen = Evidence(url=home.url, detail=_shown(footer), at=home.fetch.fetched_at)
    return Measure(item, count, detail, [seen] if count else [])


def _site_code(footer: Footer, site: SiteContext) -> tuple[int | None, str]:
    return _agrees(footer.site_code, site, "网站底部未标注网站标识码", "网站底部标注的网站标识码")


def _meta_code(footer: Footer, site: SiteContext) -> tuple[int | None, str]:
    return _agrees(
        footer.meta_site_code,
        site,
        "页面未设置SiteIDCode网页标签",
        "SiteIDCode网页标签中的网站标识码",
    )


def _jiucuo(footer: Footer, site: SiteContext) -> tuple[int | None, str]:
    return _agrees(
        footer.jiucuo_code,
        site,
        "未发现带网站标识码的“我为政府网站找错”入口",
        "“我为政府网站找错”入口的网站标识码",
    )


def _agrees(shown: str | None, site: SiteContext, absent: str, what: str) -> tuple[int | None, str]:
    if shown is None:
        return 1, absent
    if site.site_code is None:
        return None, f"未提供注册的网站标识码，无法核对{what}（{shown}）"
    if shown.lower() != site.site_code.lower():
        return 1, f"{what}（{shown}）与注册的网站标识码（{site.site_code}）不一致"
    return 0, f"{what}与注册信息一致"


def _present(value: object, absent: str) -> tuple[int | None, str]:
    return (0, "") if value else (1, absent)


IDENTITY_ITEMS: dict[str, Callable[[Footer, SiteContext], tuple[int | None, str]]] = {
    "site_code": _site_code,
    "site_id_meta": _meta_code,
    "jiucuo": _jiucuo,
    "icp": lambda footer, _: _present(footer.icp, "网站底部未标注ICP备案编号"),
    "police_record": lambda footer, _: _present(
        footer.police_record, "网站底部未标注公安机关备案标识"
    ),
    "conac": lambda footer, _: _present(footer.conac, "未展示党政机关网站标识"),
    "sitemap": lambda footer, _: _present(footer.sitemap_url, "未提供网站地图"),
}


def _domain(home: HomeFacts) -> Measure:
    host = (urlsplit(home.url).hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return Measure(
            "domain", None, f"站点以IP地址（{host}）访问，无法检测域名是否以.gov.cn为后缀"
        )
    if host.endswith(GOV_SUFFIXES):
        return Measure("domain", 0, "")
    detail = f"网站域名{host}不是以.gov.cn为后缀的英文域名或.政务中文域名"
    return Measure("domain", 1, detail, [Evidence(url=home.url, detail=detail)])


def _shown(footer: Footer) -> str:
    """The identity elements the page shows, as evidence."""
    parts = [
        f"网站标识码：{footer.site_code or '无'}",
        f"SiteIDCode：{footer.meta_site_code or '无'}",
        f"找错入口标识码：{footer.jiucuo_code or '无'}",
        f"ICP备案：{footer.icp or '无'}",
        f"公安备案：{footer.police_record or '无'}",
        f"党政机关网站标识：{'有' if footer.conac else '无'}",
        f"网站地图：{footer.sitemap_url or '无'}",
    ]
    return "；".join(parts)
