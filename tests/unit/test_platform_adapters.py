"""Each adapter on bodies shaped like the platform's real public view, and on its refusals."""

from __future__ import annotations

import json

from crawler.platforms.read import ADAPTERS

URL = "http://127.0.0.1/feed"


def parse(platform: str, body: str | bytes):
    data = body.encode() if isinstance(body, str) else body
    return ADAPTERS[platform].parse(data, URL)


def test_weibo_mobile_feed_dates_reposts_and_login_wall() -> None:
    body = {
        "ok": 1,
        "data": {
            "cards": [
                {"card_type": 11},  # a card without a post (e.g. a follow block)
                {
                    "card_type": 9,
                    "mblog": {
                        "id": "1",
                        "created_at": "Sun Mar 17 23:30:00 +0800 2024",
                        "text": '<a href="/n/x">@某某</a>春季植树活动',
                        "isTop": 1,
                        "user": {"screen_name": "开封发布"},
                    },
                },
                {
                    "card_type": 9,
                    "mblog": {
                        "id": "2",
                        "created_at": "Mon Mar 18 01:00:00 +0000 2024",
                        "text": "转发",
                        "retweeted_status": {"id": "9"},
                    },
                },
            ]
        },
    }
    facts = parse("weibo", json.dumps(body))
    assert facts.measured and facts.name == "开封发布"
    first, second = facts.posts
    assert (first.date, first.pinned, first.original, first.title) == (
        "2024-03-17",
        True,
        True,
        "@某某 春季植树活动",
    )
    assert (second.date, second.original) == ("2024-03-18", False)  # 01:00 UTC is 09:00 in China
    wall = parse("weibo", '{"ok": 0, "msg": "请先登录"}')
    assert not wall.measured and "请先登录" in wall.reason


def test_wechat_history_with_nested_list_menu_and_client_only_answer() -> None:
    inner = {
        "list": [
            {
                "comm_msg_info": {"datetime": 1710640800, "type": 49},
                "app_msg_ext_info": {
                    "title": "头条",
                    "copyright_stat": 11,
                    "multi_app_msg_item_list": [{"title": "次条", "copyright_stat": 100}],
                },
            },
            {"comm_msg_info": {"datetime": 1710000000, "type": 1}},  # a text push: no article
        ]
    }
    body = {"ret": 0, "general_msg_list": json.dumps(inner), "menu": ["政务公开", "办事服务"]}
    facts = parse("wechat", json.dumps(body))
    assert [(p.title, p.original, p.date) for p in facts.posts] == [
        ("头条", True, "2024-03-17"),
        ("次条", False, "2024-03-17"),
    ]
    assert facts.interaction is False
    without_menu = parse("wechat", json.dumps({"ret": 0, "general_msg_list": json.dumps(inner)}))
    assert without_menu.interaction is None
    refused = parse("wechat", '{"ret": -3, "errmsg": "请在微信客户端打开链接"}')
    assert not refused.measured and "微信客户端" in refused.reason


def test_douyin_toutiao_baijiahao_kuaishou_and_their_refusals() -> None:
    douyin = parse(
        "douyin",
        '{"status_code": 0, "aweme_list": [{"aweme_id": "7", "desc": "视频", "create_time": 1710640800}]}',
    )
    assert [p.date for p in douyin.posts] == ["2024-03-17"]
    assert not parse("douyin", b"").measured
    toutiao = parse(
        "toutiao",
        '{"message": "success", "data": [{"content": "微头条正文", "behot_time": 1710640800}]}',
    )
    assert [(p.title, p.date) for p in toutiao.posts] == [("微头条正文", "2024-03-17")]
    assert not parse("toutiao", '{"message": "error"}').measured
    bjh = parse(
        "baijiahao",
        'callback({"errno": 0, "data": {"list": [{"itemData": {"title": "文", "ctime": 1710640800, "is_origin": 0}}]}})',
    )
    assert [(p.title, p.original) for p in bjh.posts] == [("文", False)]
    assert not parse("baijiahao", 'callback({"errno": 10})').measured
    page = (
        '<html><script>window.__APOLLO_STATE__={"defaultClient":{"VisionVideoDetailPhoto:abc":'
        '{"caption":"快手作品","timestamp":1710640800000},"User:1":{"name":"x"}}};'
        "(function(){}());</script></html>"
    )
    assert [(p.title, p.date) for p in parse("kuaishou", page).posts] == [
        ("快手作品", "2024-03-17")
    ]
    assert not parse("kuaishou", "<html><div>请完成滑块验证</div></html>").measured
    assert "结构无法识别" in parse("douyin", "{not json").reason


def test_app_download_page_notes() -> None:
    good = parse(
        "app",
        '<html><body><a href="https://x.test/a.apk">下载</a><p>更新时间：2024年1月5日</p></body></html>',
    )
    assert good.measured and good.notes == [
        "下载地址: https://x.test/a.apk",
        "更新时间: 2024-01-05",
    ]
    assert parse("app", "<html><body><p>敬请期待</p></body></html>").notes == [
        "下载页未提供下载地址"
    ]


def test_bare_ids_become_the_real_public_view_urls() -> None:
    assert (
        ADAPTERS["weibo"]
        .feed_url("5512345678")
        .startswith("https://m.weibo.cn/api/container/getIndex?")
    )
    assert "__biz=MzA5" in ADAPTERS["wechat"].feed_url("MzA5")
    assert ADAPTERS["kuaishou"].feed_url("3x") == "https://www.kuaishou.com/profile/3x"
    farm = "http://127.43.0.2:1234/api/container/getIndex?value=sim1"
    assert ADAPTERS["weibo"].feed_url(farm) == farm


def test_interaction_channel_beyond_wechat() -> None:
    """M-V3 where the public view shows it: 抖音 / 头条 comment switches (missing only when every
    post is closed), 微博 / 快手 traces of open comments (never "missing"), 百家号 not at all."""

    def aweme(can_comment: bool) -> dict:
        control = {"can_forward": True, "can_comment": can_comment}
        return {
            "aweme_id": "7",
            "desc": "视频",
            "create_time": 1710640800,
            "aweme_control": control,
        }

    def douyin(*videos: dict):
        return parse("douyin", json.dumps({"status_code": 0, "aweme_list": list(videos)}))

    closed = douyin(aweme(False), aweme(False))
    assert closed.interaction is False and closed.interaction_detail == "全部2条抖音作品已关闭评论"
    assert douyin(aweme(False), aweme(True)).interaction is True  # one video open is a channel
    unknown = douyin({"aweme_id": "7", "desc": "视频", "create_time": 1710640800})
    assert unknown.interaction is None and "未显示评论是否开放" in unknown.interaction_detail

    def toutiao(*bans: int):
        items = [{"title": "文", "publish_time": 1710640800, "ban_comment": b} for b in bans]
        return parse("toutiao", json.dumps({"message": "success", "data": items}))

    assert toutiao(1, 1).interaction is False
    assert toutiao(1, 0).interaction is True

    def weibo(permission: int, comments: int):
        mblog = {
            "created_at": "Sun Mar 17 10:00:00 +0800 2024",
            "text": "微博",
            "comment_manage_info": {"comment_permission_type": permission},
            "comments_count": comments,
        }
        return parse("weibo", json.dumps({"ok": 1, "data": {"cards": [{"mblog": mblog}]}}))

    assert weibo(-1, 0).interaction is True
    assert weibo(2, 5).interaction is True  # followers only, but comments came in
    assert weibo(2, 0).interaction is None  # closed or restricted: the feed cannot tell

    def kuaishou(count: int):
        state = {"VisionVideoDetailPhoto:a": {"caption": "作品", "timestamp": 1710640800000}}
        state["VisionVideoDetailPhoto:a"]["commentCount"] = count
        page = f"<script>window.__APOLLO_STATE__={json.dumps({'defaultClient': state})};</script>"
        return parse("kuaishou", page)

    assert kuaishou(3).interaction is True
    assert kuaishou(0).interaction is None
    bjh = parse(
        "baijiahao",
        'callback({"errno": 0, "data": {"list": [{"itemData": {"title": "文", "ctime": 1710640800}}]}})',
    )
    assert bjh.interaction is None and bjh.interaction_detail == "百家号作者主页不显示评论是否开放"


def test_an_unreadable_comment_field_leaves_the_posts_read() -> None:
    """A comment block of an unexpected shape is no traceback and no lost account: the posts stand
    (M-V2) and only M-V3 is not known, with why."""
    mblog = {
        "created_at": "Sun Mar 17 10:00:00 +0800 2024",
        "text": "微博",
        "comment_manage_info": "closed",  # a string where the view has an object
    }
    facts = parse("weibo", json.dumps({"ok": 1, "data": {"cards": [{"mblog": mblog}]}}))
    assert facts.measured and [p.date for p in facts.posts] == ["2024-03-17"]
    assert facts.interaction is None and "评论信息无法识别" in facts.interaction_detail
