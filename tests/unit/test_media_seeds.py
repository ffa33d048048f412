"""The seed bulletins' new-media figures, rebuilt through the checker and the report.

开封 2024Q1 (seed 002): 294 accounts, 291 合格, 3 不合格, "合格率为98.9%"; 附件1 names the three
(two 抖音, one 新浪微博, "监测时间点前两周内无更新"); 附件2 lists accounts under the local rules
"一周未更新两次" / "一周未更新一次". Every verdict here comes from `judge_account` on posts.

贵州 2020Q1 (seed 000): 政务微博 94.77%, 政务微信 98.76% (the seed prints 98.76; the issue quotes
98.7), with the per-group rates 县政府 95.24% / 97.73%, 省政府部门 89.47% / 100%, the other 31 bodies
100%. The bulletin gives no account counts; `test_guizhou_counts_are_the_only_ones_consistent`
shows that, with at most one account per body and platform (31 + 88 + 42 bodies), exactly one set of
counts gives all six printed rates, and the report reproduces the rates from those counts.

昭通 2020Q2, 2020Q4, 2021Q2 (seed 004) print the per-platform counts: the 总体情况 sentences are
rebuilt word for word in 昭通's rate style, with its wording "内容更新不及时" (overlay zhaotong.toml).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from checkers.media import judge_account
from checkers.media_rules import load_media_rules
from crawler.platforms.base import AccountFacts, Post
from services.bus.media_schema import Account, AccountVerdict
from services.reporting.media_report import (
    failed_list,
    media_tables,
    problem_list,
    quarter_title,
    summary,
)
from services.reporting.report import GUIZHOU, KAIFENG, ZHAOTONG, pass_rate

OVERLAYS = Path(__file__).parent.parent.parent / "checkers" / "rulesets" / "media-overlays"
T = date(2024, 2, 20)
STALE = "监测时间点前两周内无更新"


def account_verdict(
    n: int, name: str, unit: str, platform: str, days_ago: list[int], rules, at: date = T
) -> AccountVerdict:
    posts = [
        Post((at - timedelta(days=d)).isoformat(), f"{name}动态{i}") for i, d in enumerate(days_ago)
    ]
    facts = AccountFacts(f"http://127.0.0.1/{n}", True, posts=posts, interaction=True)
    account = Account(f"410200M{n:03d}XX{n:04d}", name, platform, unit, "开封市", str(n), "410200")
    verdict = judge_account(facts, platform, at, rules, None)
    return AccountVerdict(
        "kf-2024q1", at.isoformat(), "2024Q1", account, verdict, facts, "2024-02-20T12:00:00"
    )


# 附件1 as printed (the third row's 主管单位 cell is merged with the second's).
KAIFENG_FAILED = [
    ("兰考市场监管", "兰考县人民政府办公室", "douyin"),
    ("文明开封市刑侦支队", "市公安局", "weibo"),
    ("开封市反诈骗中心", "市公安局", "douyin"),
]
# The first rows of 附件2 with their 问题类型.
KAIFENG_PROBLEMS = [
    ("和美邢庄", "尉氏县人民政府办公室", "wechat", [3], "一周未更新两次"),
    ("尉氏交警", "尉氏县人民政府办公室", "douyin", [9], "一周未更新一次"),
    ("通许县城管局", "通许县人民政府办公室", "wechat", [2, 10], "一周未更新两次"),
    ("杞县审计局", "杞县人民政府办公室", "weibo", [5], "一周未更新两次"),
]


def kaifeng_verdicts() -> list[AccountVerdict]:
    rules = load_media_rules([OVERLAYS / "kaifeng-2024.toml"])
    verdicts = [
        account_verdict(i, n, u, p, [20, 40], rules) for i, (n, u, p) in enumerate(KAIFENG_FAILED)
    ]
    start = len(verdicts)
    for i, (name, unit, platform, days, _) in enumerate(KAIFENG_PROBLEMS):
        verdicts.append(account_verdict(start + i, name, unit, platform, days, rules))
    platforms = ["wechat", "weibo", "toutiao", "douyin"]
    while len(verdicts) < 294:
        n = len(verdicts)
        verdicts.append(account_verdict(n, f"账号{n}", "市直单位", platforms[n % 4], [1, 4], rules))
    return verdicts


def test_kaifeng_294_accounts_291_pass_98_9_percent() -> None:
    verdicts = kaifeng_verdicts()
    text = summary(verdicts, KAIFENG)
    assert text.startswith("此次对294个政务新媒体进行了检查，合格291个，不合格3个，合格率为98.9%")
    assert pass_rate(294, 3, KAIFENG) == "98.9%"


def test_kaifeng_attachment_1_and_2_rows_as_printed() -> None:
    verdicts = kaifeng_verdicts()
    assert failed_list(verdicts) == [
        [1, "兰考市场监管", "兰考县人民政府办公室", "抖音", STALE],
        [2, "文明开封市刑侦支队", "市公安局", "新浪微博", STALE],
        [3, "开封市反诈骗中心", "市公安局", "抖音", STALE],
    ]
    assert problem_list(verdicts) == [
        [
            i + 1,
            name,
            unit,
            {"wechat": "微信公众号", "douyin": "抖音", "weibo": "新浪微博"}[p],
            message,
        ]
        for i, (name, unit, p, _, message) in enumerate(KAIFENG_PROBLEMS)
    ]
    titles = [t.title for t in media_tables(verdicts, quarter_title("2024Q1"), KAIFENG)]
    assert titles[1:3] == ["2024年第一季度不合格的政务新媒体", "2024年第一季度存在问题的政务新媒体"]


# 贵州 2020Q1 groups: (bodies, 微博 accounts, 微博 failed, 微信 accounts, 微信 failed).
GUIZHOU_GROUPS = {
    "省本级、9市、贵安新区、20个其他机构": (31, 31, 0, 31, 0),
    "88个县政府": (88, 84, 4, 88, 2),
    "42个省政府部门及直属机构": (42, 38, 4, 42, 0),
}
GUIZHOU_PRINTED = {
    "88个县政府": ("95.24%", "97.73%"),
    "42个省政府部门及直属机构": ("89.47%", "100%"),
    "省本级、9市、贵安新区、20个其他机构": ("100%", "100%"),
}


def guizhou_verdicts(group: str, first: int) -> list[AccountVerdict]:
    rules = load_media_rules()
    at = date(2020, 3, 15)
    _, weibo, weibo_bad, wechat, wechat_bad = GUIZHOU_GROUPS[group]
    verdicts: list[AccountVerdict] = []
    for platform, total, bad in (("weibo", weibo, weibo_bad), ("wechat", wechat, wechat_bad)):
        for i in range(total):
            days = [30] if i < bad else [2]
            verdicts.append(
                account_verdict(
                    first + len(verdicts), f"{group}{platform}{i}", group, platform, days, rules, at
                )
            )
    return verdicts


def rates(verdicts: list[AccountVerdict]) -> tuple[str, str]:
    rows = {row[0]: row for row in media_tables(verdicts, "", GUIZHOU)[0].rows}
    return str(rows["新浪微博"][5]), str(rows["微信公众号"][5])


def test_guizhou_rates_per_group_and_overall() -> None:
    everything: list[AccountVerdict] = []
    for group, printed in GUIZHOU_PRINTED.items():
        verdicts = guizhou_verdicts(group, len(everything))
        assert rates(verdicts) == printed, group
        everything += verdicts
    assert rates(everything) == ("94.77%", "98.76%")
    assert "政务微博153个，发现不合格8个，合格率为94.77%" in summary(everything, GUIZHOU)


def test_guizhou_counts_are_the_only_ones_consistent() -> None:
    """Every (accounts, failed) per group, at most one account per body, giving the six rates."""
    solutions = []
    for county in range(1, 89):
        for county_bad in range(county):
            if pass_rate(county, county_bad) != "95.24%":
                continue
            for dept in range(1, 43):
                for dept_bad in range(dept):
                    if pass_rate(dept, dept_bad) != "89.47%":
                        continue
                    for other in range(1, 32):
                        total = other + county + dept
                        if pass_rate(total, county_bad + dept_bad) == "94.77%":
                            solutions.append((other, county, county_bad, dept, dept_bad))
    assert solutions == [(31, 84, 4, 38, 4)]
    wechat = [
        (other, county, bad)
        for other in range(1, 32)
        for county in range(1, 89)
        for bad in range(county)
        if pass_rate(county, bad) == "97.73%" and pass_rate(other + county + 42, bad) == "98.76%"
    ]
    assert wechat == [(31, 88, 2)]


# 昭通 (seed 004): per-platform counts as printed, (accounts, failed) and the printed rates.
ZHAOTONG_QUARTERS = {
    "2021Q2": (
        {"wechat": (130, 33), "weibo": (10, 0), "toutiao": (10, 0)},
        "此次对150个政务新媒体进行了检查，合格117个，不合格33个，合格率为78%。其中，"
        "政务微信公众号130个，发现不合格33个，合格率为74.6%；政务微博10个，合格率为100%；"
        "政务今日头条号10个，合格率为100%。",
    ),
    "2020Q4": (
        {"wechat": (88, 3), "weibo": (10, 1), "toutiao": (2, 0)},
        "此次对100个政务新媒体进行了检查，合格96个，不合格4个，合格率为96%。其中，"
        "政务微信公众号88个，发现不合格3个，合格率为96.6%；政务微博10个，发现不合格1个，"
        "合格率为90%；政务今日头条号2个，合格率为100%。",
    ),
    "2020Q2": (
        {"wechat": (200, 16), "weibo": (20, 0), "douyin": (4, 0), "toutiao": (6, 0)},
        "此次对230个政务新媒体进行了检查，合格214个，不合格16个，合格率为93%。其中，"
        "政务微信公众号200个，发现不合格16个，合格率为92%；政务微博20个，合格率为100%；"
        "政务抖音号4个，合格率为100%；政务今日头条号6个，合格率为100%。",
    ),
}


def test_zhaotong_per_platform_sentences_and_wording() -> None:
    rules = load_media_rules([OVERLAYS / "zhaotong.toml"])
    at = date(2021, 6, 30)
    for quarter, (platforms, printed) in ZHAOTONG_QUARTERS.items():
        verdicts: list[AccountVerdict] = []
        for platform, (total, failed) in platforms.items():
            for i in range(total):
                days = [20] if i < failed else [3]
                name = f"{platform}{i}"
                n = len(verdicts)
                verdicts.append(account_verdict(n, name, "县政府办", platform, days, rules, at))
        assert summary(verdicts, ZHAOTONG) == printed, quarter
        assert {row[4] for row in failed_list(verdicts)} == {"内容更新不及时"}
