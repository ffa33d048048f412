"""政务新媒体 messages on the bus (the account half of a sweep), as msgspec Structs.

Subjects (ARCHITECTURE.md, "政务新媒体"): `govsweep.jobs.account.<标识码>` carries an `AccountJob`,
`govsweep.results.account.<sweep>.<标识码>` an `AccountVerdict`, `govsweep.results.reposts.<sweep>` a
`RepostCheck` (the 重要信息转载 outcomes of an account sweep run with a repost list).
"""

from __future__ import annotations

import msgspec

from checkers.model import Verdict
from checkers.reposts import ImportantItem, RepostOutcome
from crawler.platforms.base import AccountFacts


class Account(msgspec.Struct, frozen=True, omit_defaults=True):
    """One row of the account registry (全国政务新媒体信息报送系统 export)."""

    account_id: str  # 政务新媒体标识码, e.g. 530621M008WX0001 (treated as opaque)
    name: str  # 账号名称
    platform: str  # platform key: wechat, weibo, douyin, toutiao, kuaishou, baijiahao, app
    unit: str  # 主管单位
    region_name: str  # 地区 as the registry names it
    address: str  # 账号地址 (URL of the public web view) or the platform's account ID
    region_code: str = ""  # 6-digit GB/T 2260 code, from the 标识码 when it starts with one


class AccountJob(msgspec.Struct):
    sweep_id: str
    at: str  # monitoring time point T, YYYY-MM-DD
    quarter: str
    account: Account
    overlays: list[
        str
    ] = []  # media rule overlays (files, or names in checkers/rulesets/media-overlays)


class AccountVerdict(msgspec.Struct):
    """The verdict on one account in one sweep, with the posts it was judged on."""

    sweep_id: str
    at: str
    quarter: str
    account: Account
    verdict: Verdict
    facts: AccountFacts
    checked_at: str


class RepostUnit(msgspec.Struct):
    """One site or account of a 重要信息转载 check, with its outcome per item."""

    kind: str  # 政府网站 or 政务新媒体
    key: str  # 网站标识码 or 政务新媒体标识码
    name: str
    owner: str  # 主管单位 (account) or 地区/部门 (site)
    outcomes: list[RepostOutcome]


class RepostCheck(msgspec.Struct):
    """The 重要信息转载 outcomes of one account sweep: the province's items and every unit."""

    sweep_id: str
    at: str
    quarter: str
    items: list[ImportantItem]
    units: list[RepostUnit]
    checked_at: str
