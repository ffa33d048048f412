"""站内搜索 discovery for 重要信息转载: the search forms of real gov sites (../shared/realpages, cut to
the form) are found, queried with the distinctive part of a title, and forms that cannot be replayed
(POST, no named input) are left alone."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from selectolax.lexbor import LexborHTMLParser

from checkers.reposts import MISSING, UNMEASURED, ImportantItem, check_unit
from crawler.site_reposts import search_form, search_term

BASE = "https://www.example.gov.cn/index.html"

# 浙江省发改委: an external search platform, hidden inputs sent along, the box prefilled.
ZJ = """<form id="search-form" action="http://search.zj.gov.cn/jrobotfront/search.do" method="get">
<input name="websiteid" type="hidden" value="330000002000000"><input name="p" type="hidden" value="1">
<input type="text" class="input_text" id="q" name="q" value="请输入关键字">
<input name="" type="image" src="x.png"></form>"""
# 中国载人航天: a relative action (全文检索 /qwjs/), field searchword.
CMSE = """<form action="/qwjs/" method="get" onsubmit="return searchTest()">
<input class="indexSSubmit1" type="submit" value="">
<input class="indexSText" type="text" name="searchword" value="请输入内容..."></form>"""
# 吉林: a hidden q beside the text q (filled by script): the text input is the query.
JL = """<form action="https://intellsearch.jl.gov.cn/search/index.html" method="get">
<input type="hidden" name="q" value=""><input type="hidden" name="siteCode" value="2200000008">
<input class="searchBox" type="text" name="q"></form>"""
# 巴彦淖尔: an input without a type, a name no list knows, an action that says search.
BYNR = """<form action="https://www.bynr.gov.cn/web/search/484856" method="get">
<input name="content" value="" id="searchword1"></form>"""
# 山西: POST; 内蒙古: inputs without names (the query is sent by script).
SHANXI = """<form method="post" action="/search/sxgovsearch.jsp"><input name="sword"></form>"""
NMG = """<form><input type="text" id="keywords"><input type="button" value="搜索"></form>"""


def form_of(html: str):
    return search_form(LexborHTMLParser(f"<html><body>{html}</body></html>"), BASE)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_real_search_forms_are_found_with_their_inputs() -> None:
    zj = form_of(ZJ)
    assert zj is not None and zj.action == "http://search.zj.gov.cn/jrobotfront/search.do"
    assert query_of(zj.url("安全生产")) == {
        "websiteid": ["330000002000000"],
        "p": ["1"],
        "q": ["安全生产"],
    }
    cmse = form_of(CMSE)
    assert cmse is not None
    assert cmse.url("神舟") == "https://www.example.gov.cn/qwjs/?searchword=%E7%A5%9E%E8%88%9F"
    jl = form_of(JL)
    assert jl is not None and query_of(jl.url("春耕")) == {
        "siteCode": ["2200000008"],
        "q": ["春耕"],
    }
    bynr = form_of(BYNR)
    assert bynr is not None and bynr.field == "content"


def test_forms_that_cannot_be_replayed_are_not_searches() -> None:
    assert form_of(SHANXI) is None
    assert form_of(NMG) is None
    assert form_of('<form action="/login" method="get"><input name="user"></form>') is None
    assert form_of(SHANXI + CMSE) is not None  # the next form on the page still counts


def test_search_term_is_the_distinctive_part_of_the_title() -> None:
    assert search_term("国务院办公厅关于进一步优化政务服务提升行政效能的意见") == (
        "进一步优化政务服务提升行政效能的意见"
    )
    assert search_term("省人民政府关于做好2024年春季农业生产工作的通知") == (
        "做好2024年春季农业生产工作的通知"
    )
    long_title = (
        "中共中央办公厅 国务院办公厅印发《关于加强新时代基层政权建设和健全基层治理体系的实施意见》"
    )
    assert len(search_term(long_title)) == 20
    assert search_term("关于开展安全生产大检查的通知") == "开展安全生产大检查的通知"


def test_an_item_a_failed_search_may_hold_is_unmeasured_not_missing() -> None:
    item = ImportantItem(
        "关于开展全省安全生产大检查的通知", "https://a.test/1", "2024-03-01", "2024-03-04"
    )
    [missing] = check_unit([item], [])
    assert missing.outcome == MISSING
    why = "站内搜索无法使用（http_500），且栏目未全部读取"
    [unread] = check_unit([item], [], unread={item.title: why})
    assert (unread.outcome, unread.title) == (UNMEASURED, why)
