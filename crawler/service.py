"""办事指南 pages (W-V6): which of the key element types a guide's headings show.

A heading is a text that starts with an element name or one of its synonyms, after an optional
number (一、 / （二） / 3.) and before a colon or nothing: "设定依据", "二、受理条件：…", a <th> cell.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from crawler.listpage import clean_text
from crawler.model import GuideFacts

# The ten element types of INDICATORS.md §2 W-V6 with the synonyms guides use for them.
ELEMENTS: dict[str, tuple[str, ...]] = {
    "事项名称": ("事项名称", "服务事项名称", "办理事项", "项目名称", "服务名称"),
    "设定依据": ("设定依据", "法定依据", "法律依据", "办理依据", "实施依据", "受理依据"),
    "申请条件": ("申请条件", "受理条件", "办理条件", "申报条件", "受理标准"),
    "办理材料": ("办理材料", "申请材料", "申报材料", "所需材料", "提交材料", "材料目录"),
    "办理地点": ("办理地点", "受理地点", "办理地址", "受理地址", "办公地点", "窗口地址"),
    "办理机构": ("办理机构", "实施机构", "受理机构", "实施主体", "办理部门", "受理部门"),
    "收费标准": ("收费标准", "收费依据及标准", "收费情况", "是否收费", "收费项目"),
    "办理时间": ("办理时间", "受理时间", "办公时间", "工作时间"),
    "联系电话": ("联系电话", "咨询电话", "咨询方式", "联系方式"),
    "办理流程": ("办理流程", "办事流程", "办理程序", "审批流程", "受理流程", "流程图"),
}
MIN_ELEMENTS = 2  # a page showing fewer element headings is not a 办事指南

_NUMBER = r"(?:[（(]?[一二三四五六七八九十\d]{1,3}[)）、.．]\s*)?"
_SYNONYMS = sorted(
    ((synonym, element) for element, names in ELEMENTS.items() for synonym in names),
    key=lambda pair: len(pair[0]),
    reverse=True,
)
_HEADING = re.compile(
    rf"^\s*{_NUMBER}(?P<name>{'|'.join(synonym for synonym, _ in _SYNONYMS)})\s*(?:[:：]|$)"
)
_ELEMENT_OF = dict(_SYNONYMS)


def read_guide(tree: LexborHTMLParser, url: str) -> GuideFacts:
    """The element types a page's headings show; not measured when it shows too few to be a guide."""
    title_node = tree.css_first("title")
    title = clean_text(title_node.text()) if title_node else ""
    found: set[str] = set()
    if tree.body is not None:
        for node in tree.body.traverse(include_text=True):
            if node.tag != "-text":
                continue
            match = _HEADING.match(clean_text(node.text_content))
            if match:
                found.add(_ELEMENT_OF[match["name"]])
    elements = [element for element in ELEMENTS if element in found]
    if len(elements) < MIN_ELEMENTS:
        reason = f"页面未显示办事指南要素（识别到{len(elements)}项），不是办事指南页面"
        return GuideFacts(url=url, title=title, elements=elements, measured=False, reason=reason)
    return GuideFacts(url=url, title=title, elements=elements)
