"""Account links on site pages (for the 未备案 check) and account IDs in registry addresses."""

from __future__ import annotations

from datetime import date

from crawler.extract import extract_page
from crawler.platforms.links import account_id, linked_account

# Markup as the real pages have it (../shared/realpages): 巴彦淖尔's footer "官方微博" block
# (article_bynr.html), a 上海卫健委 list entry that is a single WeChat article
# (list_sh-wsjkw_yqtb_2022-04.html), and a share button.
PAGE = """<html><body>
<div class="wx_one"><a href="https://weibo.com/u/2420475793" target="_blank">
<img src="../../../images/wb2.png" /><span>巴彦淖尔<br>官方微博</span></a></div>
<ul><li><a href="https://mp.weixin.qq.com/s/8qCvsE578Ehz6UcWYRBfXw"
title="4月20日（0-24时）本市各区确诊病例、无症状感染者居住地信息">4月20日本市各区信息</a></li></ul>
<a href="http://service.weibo.com/share/share.php?url=http%3A%2F%2Fx.gov.cn%2F">分享到微博</a>
<a href="https://mp.weixin.qq.com/mp/profile_ext?action=home&__biz=MzA5NjYwMDY5Mg==&scene=124">公众号</a>
</body></html>"""


def test_only_links_that_name_an_account_are_taken() -> None:
    facts = extract_page(PAGE, "http://www.bynr.gov.cn/a.html", date(2024, 3, 20))
    found = [key for link in facts.links if (key := linked_account(link))]
    assert found == [("weibo", "2420475793"), ("wechat", "MzA5NjYwMDY5Mg==")]


def test_registry_addresses_by_platform_parameter_on_any_host() -> None:
    farm = "http://127.43.0.2:4000/api/container/getIndex?type=uid&value=sim00001&containerid=1"
    assert account_id("weibo", farm) == "sim00001"
    assert linked_account(farm) is None  # not a platform host: never taken from a page
    assert account_id("kuaishou", "https://www.kuaishou.com/profile/3xk2") == "3xk2"
    assert account_id("toutiao", "https://www.toutiao.com/c/user/token/MS4wLj/") == "MS4wLj"
    assert account_id("douyin", "https://www.douyin.com/") is None
