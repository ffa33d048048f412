"""The column tree (栏目) of a simulated site, named as real 贵州 portals and department sites name them."""

from __future__ import annotations

import random
from typing import NamedTuple


class Slot(NamedTuple):
    """A column before dates are planted."""

    key: str
    name: str
    category: str
    level: int
    parent: str | None = None


def _children(
    parent_key: str,
    parent_name: str,
    category: str,
    options: list[tuple[str, str]],
    keep: int | None,
) -> list[Slot]:
    """Level-2 columns under a parent: all of `options` when keep is None, else the first `keep`."""
    chosen = options if keep is None else options[:keep]
    return [Slot(f"{parent_key}/{key}", name, category, 2, parent_name) for key, name in chosen]


def build_columns(rng: random.Random, tier: str, kind: str, place: str, full: bool) -> list[Slot]:
    """Column tree of one site. `place` is the short region name (思南, 铜仁) used in 走进XX.

    `full` keeps every optional level-2 column (sites planted with many stale columns need them).
    The first slot is always the main 动态要闻 column shown on the home page.
    """

    def pick(low: int, high: int) -> int | None:
        return None if full else rng.randint(low, high)

    slots: list[Slot] = []
    portal = kind == "门户"
    if portal:
        news_name = rng.choice(("政务动态", "新闻中心", "要闻动态"))
        sub_news = {"province": ("szdt", "市州动态"), "city": ("qxdt", "区县动态")}.get(
            tier, ("xzdt", "乡镇动态")
        )
        news_children = [("gzdt", "工作动态"), sub_news, ("bmdt", "部门动态"), ("tpxw", "图片新闻")]
    else:
        news_name = rng.choice(("新闻动态", "工作动态", "动态信息"))
        news_children = [
            ("bdyw", "本地要闻"),
            ("jcdt", "基层动态"),
            ("tpxw", "图片新闻"),
            ("xydt", "行业动态"),
        ]
    slots.append(Slot("xwdt", news_name, "动态要闻", 1))
    slots += _children("xwdt", news_name, "动态要闻", news_children, pick(3, 4))

    slots.append(Slot("tzgg", "通知公告", "通知公告", 1))
    slots += _children("tzgg", "通知公告", "通知公告", [("gsgg", "公示公告")], pick(0, 1))

    policy = [("gfxwj", "规范性文件"), ("zfwj", "政府文件" if portal else "部门文件")]
    policy.append(("bgswj", "政府办文件" if portal else "其他文件"))
    slots.append(Slot("zcwj", "政策文件", "政策文件", 1))
    slots += _children("zcwj", "政策文件", "政策文件", policy, pick(1, 3))

    slots.append(Slot("zcjd", "政策解读", "政策解读", 1))
    slots += _children("zcjd", "政策解读", "政策解读", [("tjzc", "图解政策")], pick(0, 1))

    personnel = [("rsrm", "人事任免"), ("rskl", "人事招考")]
    slots.append(Slot("rsxx", "人事信息", "人事", 1))
    slots += _children("rsxx", "人事信息", "人事", personnel, pick(0, 2))

    plans = [("fzgh", "发展规划"), ("jhzj", "计划总结")]
    slots.append(Slot("ghjh", "规划计划", "规划计划", 1))
    slots += _children("ghjh", "规划计划", "规划计划", plans, pick(0, 2))

    talk_name = "政民互动" if portal else "互动交流"
    slots.append(Slot("hdjl", talk_name, "互动", 1))
    slots += _children(
        "hdjl", talk_name, "互动", [("ldxx", "领导信箱"), ("zxzx", "咨询投诉")], pick(0, 2)
    )

    slots.append(Slot("bsfw", "办事服务", "办事服务", 1))
    slots += _children("bsfw", "办事服务", "办事服务", [("bszn", "办事指南")], pick(0, 1))

    if portal:
        slots.append(Slot("zjgk", f"走进{place}", "概况", 1))
    slots.append(Slot("jgzn", "机构职能", "机构职能", 1))
    slots += _children(
        "jgzn",
        "机构职能",
        "机构职能",
        [("ldxx2", "领导信息"), ("nsjg", "内设机构")],
        pick(0, 2),
    )
    return slots
