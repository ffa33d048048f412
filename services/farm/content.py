"""The items of a column, generated on request from the site seed: titles, dates and article numbers."""

from __future__ import annotations

import datetime as dt
import random
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from services.farm.spec import ColumnSpec, SiteSpec

# Largest gap (days) between consecutive items of a column class: news daily, plans rarely.
_GAPS = {"动态要闻": 3, "通知公告": 12, "政策文件": 25, "政策解读": 25, "人事": 30, "规划计划": 60}
_TOPICS = (
    "安全生产",
    "乡村振兴",
    "营商环境优化",
    "森林防火",
    "防汛抗旱",
    "民生实事",
    "招商引资",
    "生态环境保护",
    "巩固拓展脱贫攻坚成果",
    "数字政府建设",
    "耕地保护",
    "农村人居环境整治",
    "消防安全",
    "春季植树造林",
    "城乡居民医保参保",
    "政务公开",
)
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何罗龙田"
_GIVEN = (
    "伟",
    "芳",
    "军",
    "勇",
    "敏",
    "杰",
    "涛",
    "明",
    "华",
    "平",
    "刚",
    "红",
    "波",
    "建国",
    "志强",
)
# Names with characters outside GB2312 (but inside GBK): a GB2312-only decoder garbles them.
RARE_NAMES = ("王堃", "朱镕", "李堃", "陈镕")
_FACTS = ("自然地理", "历史沿革", "行政区划", "人口民族", "经济发展", "文化旅游")
_ORG = ("主要职责", "内设机构", "领导信息", "下属单位", "联系方式", "办公地址及时间")
_SERVICES = (
    "社会保障卡补换",
    "不动产登记",
    "个体工商户设立登记",
    "城乡居民养老保险参保登记",
    "建设工程规划许可",
)


class Item(NamedTuple):
    number: int  # index of the item in its column (0 = newest)
    title: str
    date: dt.date | None
    time: dt.time


def _person(rng: random.Random, rare: bool) -> str:
    if rare and rng.random() < 0.3:
        return rng.choice(RARE_NAMES)
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _title(rng: random.Random, site: SiteSpec, column: ColumnSpec, number: int, year: int) -> str:
    rare = site.charset != "utf-8"
    topic = rng.choice(_TOPICS)
    place = site.name.removesuffix("人民政府")
    if column.category == "动态要闻":
        if rare and number == 0:
            return f"{rng.choice(RARE_NAMES)}到{place}调研{topic}工作"
        return rng.choice(
            (
                f"{place}召开{topic}工作推进会",
                f"{place}开展{topic}专项行动",
                f"{_person(rng, rare)}调研{topic}工作",
                f"{place}举办{topic}业务培训班",
                f"{place}部署{year}年{topic}工作",
            )
        )
    if column.category == "通知公告":
        return rng.choice(
            (
                f"关于开展{year}年{topic}工作的通知",
                f"关于{topic}有关事项的公示",
                f"{place}关于{topic}的公告",
            )
        )
    if column.category == "政策文件":
        return f"{site.unit}关于印发《{place}{topic}实施方案》的通知"
    if column.category == "政策解读":
        return rng.choice((f"《{place}{topic}实施方案》政策解读", f"图解:{place}{topic}实施方案"))
    if column.category == "人事":
        return rng.choice(
            (
                f"{site.unit}关于{_person(rng, rare)}等同志职务任免的通知",
                f"{year}年{place}事业单位公开招聘工作人员公告",
            )
        )
    if column.category == "规划计划":
        return rng.choice((f"{place}{year}年{topic}工作计划", f"{place}“十四五”{topic}规划"))
    if column.category == "互动":
        return rng.choice((f"关于{topic}政策的咨询", f"反映{topic}相关问题的建议"))
    if column.category == "办事服务":
        return f"{rng.choice(_SERVICES)}办事指南"
    if column.category == "概况":
        return _FACTS[number % len(_FACTS)]
    if column.category == "机构职能":
        return _ORG[number % len(_ORG)]
    return f"{place}{topic}专题"


def column_items(site: SiteSpec, column: ColumnSpec, seed: int, at: dt.date) -> list[Item]:
    """Every item of a column, newest first. Same inputs give the same items."""
    rng = random.Random(f"{seed}:{site.site_id}:{column.key}")
    gap = _GAPS.get(column.category, 40)
    # month-day lists show no year: keep every item within the year before `at` so it can be inferred
    floor = (
        at - relativedelta(years=1) + dt.timedelta(days=1) if site.family == "monthday" else None
    )
    items: list[Item] = []
    date = column.newest
    for number in range(column.items):
        if number and date is not None:
            date -= dt.timedelta(days=rng.randint(0, gap))
            if floor and date < floor:
                date = floor
        time = dt.time(rng.randint(8, 18), rng.randint(0, 59), rng.randint(0, 59))
        year = (date or at).year
        items.append(Item(number, _title(rng, site, column, number, year), date, time))
    return items
