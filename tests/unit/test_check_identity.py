"""Identity check points (功能设计): 标识码 in footer, SiteIDCode and 找错 entry against the registry;
ICP, 公安 record, 党政机关 mark, 网站地图, and the domain. Point values are unknown: observations.

Host names are never resolved: these are facts as the crawler would hand them over.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from checkers.identity import identity_measure
from checkers.model import UNMEASURED, SiteContext
from checkers.rules import load_rules
from checkers.verdict import evaluate
from crawler.model import EntryLink, FetchResult, Footer, HomeFacts, ListItem

T = date(2024, 6, 30)
RULES = load_rules()
CODE = "5200000001"
FULL = Footer(
    site_code=CODE,
    meta_site_code=CODE,
    jiucuo_code=CODE,
    icp="黔ICP备05000001号",
    police_record="贵公网安备52010202000001号",
    conac=True,
    sitemap_url="http://www.guizhou.gov.cn/sitemap.html",
)


def home(footer: Footer | None = FULL, url: str = "http://www.guizhou.gov.cn/") -> HomeFacts:
    return HomeFacts(
        url=url,
        fetch=FetchResult(url=url, status=200),
        measured=True,
        items=[ListItem(title="要闻", date=T.isoformat())],
        footer=footer,
        channels=[EntryLink(name="我要写信", url=f"{url}wyxx/")],
        services=[EntryLink(name="政务服务", url=f"{url}zwfw/")],
    )


REGISTERED = SiteContext(site_code=CODE)


def test_a_complete_footer_on_a_gov_cn_host_has_no_identity_problem() -> None:
    for item in (
        "site_code",
        "site_id_meta",
        "jiucuo",
        "icp",
        "police_record",
        "conac",
        "sitemap",
        "domain",
    ):
        measure = identity_measure(item, home(), REGISTERED)
        assert measure.count == 0, item


@pytest.mark.parametrize(
    ("footer", "item", "detail"),
    [
        (Footer(), "site_code", "网站底部未标注网站标识码"),
        (
            Footer(site_code="5200000099"),
            "site_code",
            "网站底部标注的网站标识码（5200000099）与注册的网站标识码（5200000001）不一致",
        ),
        (Footer(), "site_id_meta", "页面未设置SiteIDCode网页标签"),
        (
            Footer(meta_site_code="bm07000001"),
            "site_id_meta",
            "SiteIDCode网页标签中的网站标识码（bm07000001）与注册的网站标识码（5200000001）不一致",
        ),
        (Footer(), "jiucuo", "未发现带网站标识码的“我为政府网站找错”入口"),
        (Footer(), "icp", "网站底部未标注ICP备案编号"),
        (Footer(), "police_record", "网站底部未标注公安机关备案标识"),
        (Footer(), "conac", "未展示党政机关网站标识"),
        (Footer(), "sitemap", "未提供网站地图"),
    ],
)
def test_each_missing_or_wrong_element_is_one_occurrence(
    footer: Footer, item: str, detail: str
) -> None:
    measure = identity_measure(item, home(footer), REGISTERED)

    assert (measure.count, measure.detail) == (1, detail)
    assert measure.evidence[0].url == "http://www.guizhou.gov.cn/"


def test_codes_are_compared_without_case() -> None:
    footer = Footer(site_code="BM07000001")

    assert (
        identity_measure("site_code", home(footer), SiteContext(site_code="bm07000001")).count == 0
    )


def test_without_the_registry_code_the_codes_cannot_be_checked() -> None:
    measure = identity_measure("site_code", home(), SiteContext())

    assert (measure.count, measure.detail) == (
        None,
        "未提供注册的网站标识码，无法核对网站底部标注的网站标识码（5200000001）",
    )


def test_domain_of_an_ip_host_is_not_checkable_and_other_domains_are_reported() -> None:
    loopback = identity_measure("domain", home(url="http://127.42.0.7/"), REGISTERED)
    commercial = identity_measure("domain", home(url="http://www.sinan-gov.com/"), REGISTERED)
    chinese = identity_measure("domain", home(url="http://贵州省人民政府.政务/"), REGISTERED)

    assert (loopback.count, loopback.detail) == (
        None,
        "站点以IP地址（127.42.0.7）访问，无法检测域名是否以.gov.cn为后缀",
    )
    assert (commercial.count, commercial.detail) == (
        1,
        "网站域名www.sinan-gov.com不是以.gov.cn为后缀的英文域名或.政务中文域名",
    )
    assert chinese.count == 0


def test_identity_problems_are_observations_without_points_and_do_not_fail() -> None:
    footer = Footer(site_code="5200000099", icp="黔ICP备05000001号", conac=True)

    verdict = evaluate(home(footer, url="http://127.42.0.7/"), [], RULES, T, REGISTERED)

    identity = {f.indicator: f for f in verdict.findings if f.indicator.startswith("W-D-")}
    assert identity["W-D-site_code"].level == "observation"
    assert identity["W-D-site_code"].points is None
    assert identity["W-D-site_code"].message == (
        "网站底部标注的网站标识码（5200000099）与注册的网站标识码（5200000001）不一致（分值未知，未扣分）"
    )
    assert identity["W-D-domain"].level == "unmeasured"
    assert "W-D-icp" not in identity
    assert verdict.score == 100  # nothing with a known value was found


def test_a_province_overlay_can_give_identity_items_points(tmp_path: Path) -> None:
    overlay = tmp_path / "points.toml"
    overlay.write_text(
        'version = "local"\n[score.items.site_code]\npoints = 2\n[score.items.conac]\npoints = 1\n',
        encoding="utf-8",
    )
    rules = load_rules(None, [overlay])
    columns_free_site = home(Footer(icp="黔ICP备05000001号"))

    verdict = evaluate(columns_free_site, [], rules, T, REGISTERED)

    points = {f.indicator: f.points for f in verdict.findings if f.level == "deduction"}
    assert points == {"W-D-site_code": 2.0, "W-D-conac": 1.0}
    assert verdict.score == 97
    assert verdict.verdict == UNMEASURED  # no column at all: the score does not make a pass
