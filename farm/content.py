"""The items of a column, generated on request from the site seed: titles, dates and article numbers."""

from __future__ import annotations

import datetime as dt
import functools
import random
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from farm import geography as geo
from farm.spec import GUIDE_ELEMENTS, ColumnSpec, SiteSpec

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
    "居民身份证换领",
    "失业保险金申领",
    "最低生活保障审批",
    "残疾人两项补贴申请",
    "高龄津贴申领",
    "食品经营许可",
    "药品零售企业许可",
    "道路运输经营许可",
    "取水许可",
    "林木采伐许可",
    "农村宅基地审批",
    "建筑工程施工许可",
    "教师资格认定",
    "民办学校设立审批",
    "医师执业注册",
    "生育登记服务",
    "结婚登记",
    "退役军人优待证申领",
    "临时救助申请",
    "特种设备使用登记",
)
# Items of a 办事服务 column that is not itself the 办事指南 list (its news; {0} is the place).
_SERVICE_NEWS = (
    "{0}政务服务中心关于调整窗口办公时间的通知",
    "{0}推行“一窗通办”改革 群众办事更便捷",
    "{0}政务服务“跨省通办”事项清单",
    "{0}政务服务大厅开展延时错时服务",
    "{0}“好差评”工作情况通报",
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
        if "访谈" in column.name:
            return rng.choice((f"{place}{topic}工作在线访谈", f"聚焦{topic} 部门负责人在线答问"))
        if "征集" in column.name or "调查" in column.name:
            return rng.choice((f"关于{topic}的意见征集", f"{place}{topic}满意度问卷调查"))
        return rng.choice((f"关于{topic}政策的咨询", f"反映{topic}相关问题的建议"))
    if column.category == "办事服务":
        if column.guides or "指南" in column.name:
            return f"{rng.choice(_SERVICES)}办事指南"
        return rng.choice(_SERVICE_NEWS).format(place)
    if column.category == "概况":
        return _FACTS[number % len(_FACTS)]
    if column.category == "机构职能":
        return _ORG[number % len(_ORG)]
    return f"{place}{topic}专题"


def column_items(site: SiteSpec, column: ColumnSpec, seed: int, at: dt.date) -> list[Item]:
    """Every item of a column, newest first. Same inputs give the same items.

    The items of a 留言 list (column.desk) are its letters, with the date the list shows (the 留言时间,
    or None when the list shows none)."""
    if column.desk is not None:
        on_list = column.desk != "detail"
        return [
            Item(it.number, it.title, it.asked if on_list else None, it.asked_time)
            for it in column_letters(site, column, seed, at)
        ]
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


# --- 留言 (public letters of a 互动 column) -----------------------------------------------------

MAX_REPLY_DAYS = 60  # regular letters are answered within this (well inside 3 months: >= 89 days)
_ASK = (
    "您好！我是{place}居民，想咨询一下{topic}方面的政策，具体需要满足哪些条件，到哪里办理？",
    "尊敬的领导：我村{topic}方面存在一些问题，群众意见较大，希望有关部门尽快核实处理。",
    "请问{topic}相关补助今年是否还有，申请流程是怎样的？谢谢！",
    "建议进一步加强{topic}工作，及时公开相关信息，方便群众了解和监督。",
)
_ANSWER = (
    "您好！您反映的问题已收悉。经核实，{topic}相关政策按照上级文件执行，具体可咨询{office}。感谢您的关注！",
    "网友您好：针对您反映的{topic}问题，我单位高度重视，已安排工作人员实地核查并督促整改。",
    "您好！您咨询的事项可携带有效证件到{place}政务服务中心综合窗口办理。",
)
_LETTER_TITLES = ("关于{}政策的咨询", "反映{}相关问题的建议", "咨询{}办理流程", "{}问题反映")
_PETITION_TITLES = ("关于{}问题的信访事项", "反映{}遗留问题", "请求解决{}相关诉求")


class Letter(NamedTuple):
    """One public 留言: what the list and the letter's own page show."""

    number: int  # position in the list (0 = newest)
    title: str
    asked: dt.date | None  # 留言时间; None when the site shows no date for it anywhere
    asked_time: dt.time
    answered: bool  # the status the site shows (已回复 …, or not yet)
    replied: dt.date | None  # 答复时间 (None: not answered, or the site shows no dates)
    replied_time: dt.time
    writer: str  # masked name of the writer
    question: str
    office: str  # 答复单位
    answer: str
    planted: bool  # one of column.planted


def place_of(site: SiteSpec) -> str:
    """思南县 for 思南县人民政府; a department's region (贵州省 for 贵州省公安厅)."""
    return site.name.removesuffix("人民政府") if site.kind == "门户" else site.region_name


def column_letters(site: SiteSpec, column: ColumnSpec, seed: int, at: dt.date) -> list[Letter]:
    """The letters of a 留言 list, newest 留言时间 first (cached: same inputs, same letters).

    Regular letters are answered within MAX_REPLY_DAYS, or are younger than that and not yet
    answered. Dates on a list: its newest 留言时间 is column.newest; a "table" list shows no 答复时间
    later than that (so the newest date a list shows is the column's newest). The planted letters
    (column.planted) carry their own dates.
    """
    if column.desk is None:
        return []
    offices: tuple[str, ...] = (site.unit,)
    if site.kind == "门户":
        offices += tuple(local_department(site, n) for n in (4, 5, 10, 12, 13, 17, 18))
    return _letters(site.site_id, offices, place_of(site), column, seed, at)


@functools.lru_cache(maxsize=8192)
def _letters(
    site_id: str, offices: tuple[str, ...], place: str, column: ColumnSpec, seed: int, at: dt.date
) -> list[Letter]:
    if column.blank_form is not None or column.items <= 0:
        return []
    rng = random.Random(f"{seed}:{site_id}:{column.key}:letters")
    dated = not column.undated or column.desk == "detail"
    planted = sorted(column.planted, key=lambda pair: pair[0], reverse=True)
    if column.newest is not None and not column.undated:
        anchor = column.newest
    else:  # the list shows no date: the letters still have theirs (on their pages, or none)
        anchor = at - dt.timedelta(days=rng.randint(0, 20))
    if planted:
        anchor = max(anchor, planted[0][0])
    limit = anchor if column.desk == "table" else at
    dates: list[tuple[dt.date, dt.date | None, bool]] = []
    asked = anchor
    for number in range(max(0, column.items - len(planted))):
        if number:
            asked -= dt.timedelta(days=rng.randint(0, 9))
        answered = asked + dt.timedelta(days=rng.randint(0, MAX_REPLY_DAYS))
        reply: dt.date | None = answered
        if answered > at:  # not answered yet: such a letter is younger than MAX_REPLY_DAYS
            reply = None
        elif answered > limit:  # a table shows no date past its newest 留言时间: answered before
            reply = asked + dt.timedelta(days=rng.randint(0, (limit - asked).days))
        dates.append((asked, reply, False))
    dates += [(a, r, True) for a, r in planted]
    dates.sort(key=lambda entry: entry[0], reverse=True)  # stable: regular letters first on a tie
    letters = []
    pick = rng.random
    titles = _PETITION_TITLES if "信访" in column.name else _LETTER_TITLES
    for number, (asked_on, reply, is_planted) in enumerate(dates):
        topic = _TOPICS[int(pick() * len(_TOPICS))]
        office = offices[int(pick() * len(offices))]
        words = {"place": place, "topic": topic, "office": office}
        asked_s, replied_s = int(pick() * 54000) + 25200, int(pick() * 32400) + 32400
        if reply == asked_on:  # answered the same day: later that day
            replied_s = min(86399, asked_s + 600 + replied_s % 7200)
        letters.append(
            Letter(
                number=number,
                title=titles[int(pick() * len(titles))].format(topic),
                asked=asked_on if dated else None,
                asked_time=dt.time(asked_s // 3600, asked_s // 60 % 60, asked_s % 60),
                answered=reply is not None if dated else pick() < 0.85,
                replied=reply if dated else None,
                replied_time=dt.time(replied_s // 3600, replied_s // 60 % 60, replied_s % 60),
                writer=_SURNAMES[int(pick() * len(_SURNAMES))]
                + ("**", "*", "先生", "女士")[number % 4],
                question=_ASK[int(pick() * len(_ASK))].format(**words),
                office=office,
                answer=_ANSWER[int(pick() * len(_ANSWER))].format(**words),
                planted=is_planted,
            )
        )
    return letters


# --- 办事指南 -------------------------------------------------------------------------------------

OPTIONAL_ELEMENTS = GUIDE_ELEMENTS[1:]  # a guide always names its 事项名称


def guide_missing(site: SiteSpec, column: ColumnSpec, seed: int) -> list[tuple[str, ...]]:
    """Element types each guide of a 办事指南 column leaves out, by item number. Regular guides
    leave out at most 2; the planted ones (column.gaps) exactly as many as planted."""
    if not column.guides:
        return []
    return _missing(site.site_id, column, seed)


@functools.lru_cache(maxsize=4096)
def _missing(site_id: str, column: ColumnSpec, seed: int) -> list[tuple[str, ...]]:
    if column.blank_form is not None:
        return []
    rng = random.Random(f"{seed}:{site_id}:{column.key}:guides")
    planted = dict(column.gaps)
    out = []
    for number in range(column.items):
        count = rng.choices((0, 1, 2), weights=(75, 18, 7))[0]
        count = planted.get(number, count)
        left_out = set(rng.sample(OPTIONAL_ELEMENTS, count))
        out.append(tuple(e for e in GUIDE_ELEMENTS if e in left_out))
    return out


def local_department(site: SiteSpec, number: int) -> str:
    """A department of the site's government (its own unit on a department site)."""
    if site.kind == "部门":
        return site.unit
    if site.tier == "province":
        return geo.PROVINCE_DEPARTMENTS[number % len(geo.PROVINCE_DEPARTMENTS)]
    return f"{place_of(site)}{geo.LOCAL_DEPARTMENTS[number % len(geo.LOCAL_DEPARTMENTS)]}"
