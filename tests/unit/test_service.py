"""Reading 办事指南 pages: the ten element types by heading, with synonyms and numbering."""

from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser

from crawler.service import ELEMENTS, read_guide

URL = "http://127.0.0.1:8102/bsfw/bszn/g1.html"


def guide(body: str, title: str = "企业设立登记办事指南") -> LexborHTMLParser:
    return LexborHTMLParser(f"<html><head><title>{title}</title></head><body>{body}</body></html>")


def test_the_ten_element_types_are_those_of_the_indicator() -> None:
    assert list(ELEMENTS) == [
        "事项名称",
        "设定依据",
        "申请条件",
        "办理材料",
        "办理地点",
        "办理机构",
        "收费标准",
        "办理时间",
        "联系电话",
        "办理流程",
    ]


def test_headings_in_cells_and_numbered_lines_with_synonyms() -> None:
    facts = read_guide(
        guide(
            "<h1>企业设立登记</h1><table>"
            "<tr><th>事项名称</th><td>企业设立登记</td></tr>"
            "<tr><th>法定依据</th><td>《中华人民共和国公司法》</td></tr>"
            "<tr><td>受理条件：</td><td>符合条件的申请人</td></tr></table>"
            "<p>一、申请材料</p><p>二、办理地点：政务服务大厅</p><p>（三）咨询电话：0851-1234567</p>"
        ),
        URL,
    )

    assert facts.measured is True
    assert facts.title == "企业设立登记办事指南"
    assert facts.elements == [
        "事项名称",
        "设定依据",
        "申请条件",
        "办理材料",
        "办理地点",
        "联系电话",
    ]


def test_sentences_and_time_limits_are_not_headings() -> None:
    facts = read_guide(
        guide(
            "<p>事项名称：户口迁移</p><p>办理时限：5个工作日</p>"
            "<p>本事项设定依据为《户口登记条例》。</p><p>申请材料不齐全的，一次性告知。</p>"
            "<p>收费标准：不收费</p>"
        ),
        URL,
    )

    assert facts.elements == ["事项名称", "收费标准"]


def test_a_page_with_fewer_than_two_element_headings_is_not_a_guide() -> None:
    facts = read_guide(guide("<p>联系电话：0851-1234567</p><p>欢迎访问</p>", "新闻"), URL)

    assert facts.measured is False
    assert facts.elements == ["联系电话"]
    assert facts.reason == "页面未显示办事指南要素（识别到1项），不是办事指南页面"
