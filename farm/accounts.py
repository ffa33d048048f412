"""The simulated province's 政务新媒体: accounts on the simulated platforms, their posts, the
planted defects and the ground truth (`accounts_manifest`).

Ground truth is stated here from the planted defect, on its own (not by running the checker): a
`stale` account's newest post is 15–60 days before T (M-V2 veto), a `no_channel` WeChat account's
menu has no 留言/咨询 entry (M-V3 veto), a `blocked` account's platform refuses the visitor
(未能检测), `lexicon` / `personal_data` posts are M-V1 candidates (still 合格), `boundary` posts
exactly 14 days before T (合格; none in the last week), `reposts_only` recent posts are all 转发 (合格: reposts count in the
baseline), `misnamed`: the platform shows another name than the registry (存在问题 "备案信息有误"),
`weekly_once` has one post in the last week (开封 overlay: 存在问题 "一周未更新两次"
for text accounts). `variants["开封-2024"]` is the expected outcome under that overlay.

M-V3 (`channels`: what the public view shows): `no_channel` is planted where the view can show a
channel missing — the WeChat menu without 留言/咨询, every 抖音 video or 头条 item with comments
closed. 微博 and 快手 show comments only by their traces (a post open to anyone, comments
received): half their accounts carry them (True), the other half show nothing (None, a person
checks). 百家号 and apps never show it (None).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from crawler.platforms.base import PLATFORM_NAMES

PLATFORMS = ["wechat", "weibo", "douyin", "toutiao", "kuaishou", "baijiahao", "app"]
PLATFORM_CODES = {
    "wechat": "WX",
    "weibo": "WB",
    "douyin": "DY",
    "toutiao": "TT",
    "kuaishou": "KS",
    "baijiahao": "BJ",
    "app": "APP",
}
TEXT_PLATFORMS = ("wechat", "weibo", "toutiao", "baijiahao")  # 开封's "文字信息类"
STALE_MESSAGE = "监测时间点前两周内无更新"
CHANNEL_MESSAGE = "未提供有效互动功能"
UNITS = [
    ("市人民政府办公室", "市直"),
    ("市公安局", "市直"),
    ("市教育局", "市直"),
    ("市卫生健康委员会", "市直"),
    ("兰考县人民政府办公室", "兰考县"),
    ("尉氏县人民政府办公室", "尉氏县"),
    ("杞县人民政府办公室", "杞县"),
]
TITLES = [
    "我市召开安全生产工作会议",
    "关于开展2024年春季植树活动的通知",
    "市政府常务会议研究部署近期重点工作",
    "一图读懂政府工作报告",
    "关于公布第二批市级非物质文化遗产名录的公示",
    "市领导调研乡村振兴工作",
    "优化营商环境十条措施出台",
    "今日起，这些新规开始施行",
    "防汛抗旱工作部署会召开",
    "群众办事“只跑一次”改革取得新进展",
]
# Planted defects, with how many accounts of a province carry each (the rest are clean).
DEFECTS = [
    "stale",
    "no_channel",
    "blocked",
    "lexicon",
    "personal_data",
    "boundary",
    "reposts_only",
    "weekly_once",
    "misnamed",
]
NAME_PLATFORMS = ("weibo", "douyin", "toutiao", "kuaishou")  # views that show the account's name
CLOSABLE_PLATFORMS = ("wechat", "douyin", "toutiao")  # views that show a channel missing
TRACE_PLATFORMS = ("weibo", "kuaishou")  # views that show comments only by their traces
LEXICON_TEXT = "推进一带一路战略走深走实"  # a wrong form in crawler/lexicon.toml (示例词条)
PERSONAL_TEXT = "公示名单：张三，身份证号11010519491231002X，联系电话13812345678"


@dataclass
class SimPost:
    day: date
    title: str
    original: bool = True
    pinned: bool = False
    text: str = ""


@dataclass
class AccountSpec:
    index: int
    account_id: str
    name: str
    platform: str
    unit: str
    region: str
    defect: str  # "" for a clean account
    posts: list[SimPost] = field(default_factory=list)
    menu: list[str] = field(default_factory=list)  # WeChat custom menu
    download: bool = True  # app: the download page offers a download
    commented: bool = True  # 微博 / 快手: posts show comments (open to anyone, comments received)

    @property
    def comments_open(self) -> bool:
        return self.defect != "no_channel"

    @property
    def channel(self) -> bool | None:
        """M-V3 as the public view shows it: True open, False missing, None not shown."""
        if self.defect == "blocked":
            return None
        if self.platform in CLOSABLE_PLATFORMS:
            return self.comments_open
        if self.platform in TRACE_PLATFORMS:
            return True if self.commented else None
        return None

    @property
    def shown_name(self) -> str:
        """The name the platform shows: the registered one, unless the registry has it wrong."""
        return f"{self.name}（旧名）" if self.defect == "misnamed" else self.name


def generate_accounts(n: int, seed: int, at: date) -> list[AccountSpec]:
    """`n` accounts spread over the platforms; every defect is planted at least once when n allows."""
    rng = random.Random(seed * 7919 + 15)
    accounts = []
    for index in range(n):
        platform = PLATFORMS[index % len(PLATFORMS)]
        defect = _defect_for(index, platform)
        unit, region = UNITS[rng.randrange(len(UNITS))]
        code = f"410200M{index + 1:03d}{PLATFORM_CODES[platform]}0001"
        name = f"{unit.removesuffix('人民政府办公室')}政务{index + 1}号"
        spec = AccountSpec(index, code, name, platform, unit, region, defect)
        if platform == "app":
            spec.download = defect != "no_download"
        else:
            spec.posts = _posts(rng, defect, at)
        spec.commented = (index // len(PLATFORMS)) % 2 == 0
        if platform == "wechat":
            spec.menu = (
                ["政务公开", "办事服务"]
                if defect == "no_channel"
                else ["政务公开", "办事服务", "留言咨询"]
            )
        accounts.append(spec)
    return accounts


def _defect_for(index: int, platform: str) -> str:
    """Defects cycle over the accounts of each platform, on the platforms that can show them."""
    if platform == "app":
        return "no_download" if (index // len(PLATFORMS)) % 3 == 1 else ""
    cycle = [
        d
        for d in DEFECTS
        if (d != "no_channel" or platform in CLOSABLE_PLATFORMS)
        and (d != "misnamed" or platform in NAME_PLATFORMS)
    ] + ["", "", ""]
    return cycle[(index // len(PLATFORMS) + PLATFORMS.index(platform)) % len(cycle)]


def _posts(rng: random.Random, defect: str, at: date) -> list[SimPost]:
    def title() -> str:
        return TITLES[rng.randrange(len(TITLES))]

    if defect == "stale":
        newest = rng.randint(15, 60)
        return [SimPost(at - timedelta(days=newest + 7 * i), title()) for i in range(4)]
    if defect == "boundary":
        return [
            SimPost(at - timedelta(days=14), title()),
            SimPost(at - timedelta(days=30), title()),
        ]
    if defect == "weekly_once":
        return [SimPost(at - timedelta(days=3), title()), SimPost(at - timedelta(days=12), title())]
    posts = [SimPost(at - timedelta(days=d), title()) for d in sorted(rng.sample(range(0, 7), 3))]
    posts += [SimPost(at - timedelta(days=d), title()) for d in (40, 45)]  # older history
    posts.append(SimPost(at - timedelta(days=200), "置顶：本号简介", pinned=True))
    if defect == "reposts_only":
        posts = [SimPost(p.day, p.title, original=False) for p in posts[:3]]
    if defect == "lexicon":
        posts[0].text = LEXICON_TEXT
    if defect == "personal_data":
        posts[0].text = PERSONAL_TEXT
    return posts


def expected(spec: AccountSpec, variant: str = "") -> dict:
    """The ground truth for one account: verdict, veto messages, candidates, local problems."""
    if spec.defect == "blocked":
        return {"verdict": "未能检测", "vetoes": [], "candidates": False, "problems": []}
    vetoes = {"stale": [STALE_MESSAGE], "no_channel": [CHANNEL_MESSAGE]}.get(spec.defect, [])
    problems = ["备案信息有误"] if spec.defect == "misnamed" else []
    if variant == "开封-2024" and not vetoes:  # a failed account is listed as 不合格 only
        text = spec.platform in TEXT_PLATFORMS
        if spec.defect == "weekly_once" and text:
            problems = ["一周未更新两次"]  # one post in the week before T
        elif spec.defect == "boundary":  # no post in the week before T
            problems = ["一周未更新两次" if text else "一周未更新一次"]
    return {
        "verdict": "不合格" if vetoes else "合格",
        "vetoes": vetoes,
        "candidates": spec.defect in ("lexicon", "personal_data"),
        "problems": problems,
    }


def accounts_manifest(accounts: list[AccountSpec], at: date) -> dict:
    """Ground truth: per account, and per platform the counts and 合格率 the report must print."""
    per_account = {a.account_id: expected(a) for a in accounts}
    rates: dict[str, dict] = {}
    for platform in PLATFORMS:
        mine = [per_account[a.account_id]["verdict"] for a in accounts if a.platform == platform]
        if mine:
            rates[PLATFORM_NAMES[platform]] = {
                "accounts": len(mine),
                "failed": mine.count("不合格"),
                "unmeasured": mine.count("未能检测"),
            }
    return {
        "at": at.isoformat(),
        "accounts": per_account,
        "platforms": rates,
        "channels": {a.account_id: a.channel for a in accounts},
        "variants": {"开封-2024": {a.account_id: expected(a, "开封-2024") for a in accounts}},
    }
