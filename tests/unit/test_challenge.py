"""Anti-bot challenge pages are recognised (未能检测, WAF), never read as blank or stale lists."""

from __future__ import annotations

import datetime as dt

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.challenge import challenge_product
from crawler.extract import extract_page

T = dt.date(2024, 3, 10)
URL = "http://www.example.gov.cn/zwgk/tzgg/"

RUISHU = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<meta content="gZLmGrT7oUh66F9BfMPARtbr64aTGnLm" r="m"><script type="text/javascript" r='m'>
$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=2143;$_ts.cd="qtrqrpAloS3qWqlarGguWqAy";</script>
<script type="text/javascript" charset="utf-8" src="/4QbVtADbnLVI/c.FxJzG50F.dfe1675.js" r='m'></script>
</head><body></body></html>"""
SAFEDOG = """<html><head><title>网站防火墙</title></head><body><div>
<p>您的请求带有不合法参数，已被网站管理员设置拦截！</p><p>可能原因：您提交的内容包含危险的攻击请求</p>
<a href="http://www.safedog.cn/">网站安全狗</a></div></body></html>"""
YUNSUO = """<html><head><script type="text/javascript">
function stringToHex(str){var val="";for(var i=0;i<str.length;i++){val+=str.charCodeAt(i).toString(16);}return val;}
function YunSuoAutoJump(){var width=screen.width;var height=screen.height;
document.cookie="srcurl="+stringToHex(window.location.href)+";path=/;";
location="/?security_verify_data="+stringToHex(width+","+height);}</script></head>
<body onload="YunSuoAutoJump()"></body></html>"""
JSL = """<html><body><script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+('e')
+('a')+('r')+('a')+('n')+('c')+('e')+('=')+(1700000000)+'.12|0|'+'abc';location.href=location.pathname
+location.search;/* __jsl_clearance */</script></body></html>"""


# An unnamed product's 202 answer: compute a cookie, reload.
COOKIE_RELOAD = """<html><head><title>请稍候</title></head><body><p>正在进行安全检查…</p><script>
var t=(function(){return 42*7;})();document.cookie="verify_token="+t+";path=/";
setTimeout(function(){location.reload();},500);</script></body></html>"""


@pytest.mark.parametrize(
    ("html", "product"),
    [
        (RUISHU, "瑞数"),
        (SAFEDOG, "安全狗"),
        (YUNSUO, "云锁"),
        (JSL, "加速乐"),
        (COOKIE_RELOAD, "JS质询"),
    ],
)
def test_challenge_pages_are_recognised_and_need_a_browser(html: str, product: str) -> None:
    assert challenge_product(LexborHTMLParser(html)) == product
    facts = extract_page(html, URL, T, kind_hint="list")
    assert (facts.challenge, facts.needs_browser, facts.blank) == (product, True, False)
    assert facts.items == [] and facts.latest is None


def test_a_real_list_that_loads_a_waf_script_is_not_a_challenge() -> None:
    rows = "".join(
        f'<li><a href="/zwgk/tzgg/content_{n}.html">示例市第{n}号通知</a><span>2024-03-0{n}</span></li>'
        for n in range(1, 8)
    )
    html = (
        '<html><head><script src="/safedog.js"></script><script>var $_ts=window["$_ts"];</script>'
        f'</head><body><ul class="list">{rows}</ul></body></html>'
    )
    facts = extract_page(html, URL, T, kind_hint="list")
    assert facts.challenge is None and facts.needs_browser is False
    assert (len(facts.items), facts.latest) == (7, "2024-03-07")


def test_an_empty_page_without_challenge_markup_is_not_a_challenge() -> None:
    html = "<html><body><div class='list'></div></body></html>"
    assert challenge_product(LexborHTMLParser(html)) is None
