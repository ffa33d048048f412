"""The 通报 files: XLSX and DOCX opened with their libraries, HTML charts, PNG charts, the CLI."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from PIL import Image

from services.cli.main import main
from services.reporting import report_formats
from services.reporting.report import FindingCount, build_report
from services.reporting.store import Store
from tests.unit.test_seed_bulletins import guizhou_verdicts, verdict

TITLE = "贵州省2020年第一季度政府网站检查情况"


def guizhou_report():
    verdicts = guizhou_verdicts()
    # 思南 fixed its blank columns: a recheck on 3-20 passes.
    fixed = verdict(
        "5206240001",
        "思南政府网",
        sweep="recheck-5206240001-20200320100000",
        at="2020-03-20",
        checked_at="2020-03-20T10:00:00",
    )
    fixed.recheck = True
    first = next(v for v in verdicts if v.site.site_id == "5206240001")
    history = {"5206240001": [first, fixed]}
    return build_report(TITLE, "2020-03-06", "2020Q1", [*verdicts, fixed], history=history)


def test_xlsx_has_a_sheet_per_attachment_with_headers_and_widths(tmp_path: Path) -> None:
    path = report_formats.write_xlsx(guizhou_report(), tmp_path / "out" / "通报.xlsx")
    book = load_workbook(path)
    assert book.sheetnames == [
        "总体情况",
        "附件1_检查情况",
        "附件2_问题网站名单",
        "未能检测网站",
        "复查情况",
    ]
    assert book["总体情况"]["A1"].value == TITLE
    assert "总体合格率97.60%" in book["总体情况"]["A5"].value  # 10 of 416 after the recheck

    summary = book["附件1_检查情况"]
    assert summary["A1"].value == "附件1 检查情况"
    assert [c.value for c in summary[2]] == [
        "地区",
        "在运行网站数",
        "问题网站数",
        "未能检测数",
        "合格率",
    ]
    rows = [[c.value for c in row] for row in summary.iter_rows(min_row=3)]
    # 合格率 is a number shown as a percentage, so it sorts and sums in a spreadsheet.
    assert rows[-1] == ["合计", 416, 10, 0, pytest.approx(0.976)]
    assert ["铜仁市", 36, 2, 0, pytest.approx(0.9444)] in rows
    assert summary.cell(summary.max_row, 5).number_format == "0.00%"
    assert summary.freeze_panes == "A3"
    assert summary.column_dimensions["A"].width >= 14  # "黔西南自治州" is 12 columns wide

    problems = book["附件2_问题网站名单"]
    assert [c.value for c in problems[2]] == [
        "序号",
        "地区",
        "网站标识码",
        "网站名称",
        "首页地址",
        "主要问题",
    ]
    listed = [[c.value for c in row] for row in problems.iter_rows(min_row=3)]
    assert len(listed) == 10 and listed[0][:4] == [1, "省直部门", "5200000019", "贵州省审计厅"]
    assert "5206240001" not in {row[2] for row in listed}  # fixed on recheck

    recheck = [[c.value for c in row] for row in book["复查情况"].iter_rows(min_row=3)]
    assert recheck == [
        [
            1,
            "铜仁市",
            "5206240001",
            "思南政府网",
            "不合格（2020-03-06）",
            "合格（2020-03-20）",
            "已整改：空白栏目数超过5个",
        ]
    ]
    assert book["未能检测网站"]["A3"].value == "无"


def test_docx_holds_the_tables_the_summary_and_two_charts(tmp_path: Path) -> None:
    path = report_formats.write_docx(guizhou_report(), tmp_path / "通报.docx")
    document = Document(str(path))
    text = "\n".join(p.text for p in document.paragraphs)
    assert text.startswith(TITLE)
    assert "发现问题网站10家，总体合格率97.60%" in text
    assert "本季度对1家网站进行了复查，其中复查合格1家。" in text
    assert len(document.inline_shapes) == 2  # pass rate per region, findings per indicator
    recheck, summary, problems = document.tables  # 未能检测: "无。", no table
    assert [c.text for c in summary.rows[0].cells] == [
        "地区",
        "在运行网站数",
        "问题网站数",
        "未能检测数",
        "合格率",
    ]
    assert [c.text for c in summary.rows[-1].cells] == ["合计", "416", "10", "0", "97.60%"]
    assert len(problems.rows) == 11
    assert [c.text for c in problems.rows[1].cells][:3] == ["1", "省直部门", "5200000019"]
    assert recheck.rows[1].cells[6].text == "已整改：空白栏目数超过5个"


def test_html_is_self_contained_with_one_bar_per_region_and_indicator() -> None:
    html = report_formats.render_html(guizhou_report())
    assert "<script" not in html and "http-equiv" not in html
    assert not re.search(r'(src|href)="https?://', html)  # nothing fetched from outside
    pass_chart, findings_chart = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert pass_chart.count("<rect") == 10  # 省直部门 + 9 cities
    assert ">94.44%</text>" in pass_chart and ">100%</text>" in pass_chart
    assert findings_chart.count("<rect") == 4  # 空白栏目, 更新不达标, 互动回应差, 服务不实用
    assert "空白栏目数超过5个（W-V4-3）</text>" in findings_chart
    assert "<td>已整改：空白栏目数超过5个</td>" in html
    # A URL wraps only after a "/", never inside its host or a path segment.
    cells = re.findall(r'<td class="url">(.*?)</td>', html)
    assert cells and "break-all" not in html
    for cell in cells:
        assert all(part.endswith(("/", "?", "&amp;")) for part in cell.split("<wbr>")[:-1]), cell
        assert cell.replace("<wbr>", "").startswith("http://")


def test_png_chart_with_and_without_a_cjk_font(monkeypatch: pytest.MonkeyPatch) -> None:
    chart = report_formats.charts(guizhou_report())[0]
    image = Image.open(io.BytesIO(report_formats.chart_png(chart)))
    layout = report_formats._layout(chart)
    assert image.size == (layout.width * 2, layout.height * 2)
    # The first bar (省直部门, 98.92%) is drawn in the warning colour, at the bar's middle.
    y = (layout.top + layout.row_h // 2) * 2
    assert image.getpixel(((layout.label_w + 10) * 2, y)) == (0xC0, 0x50, 0x4D)
    monkeypatch.setattr(report_formats, "cjk_font", lambda: None)
    fallback = Image.open(io.BytesIO(report_formats.chart_png(chart)))
    assert fallback.size == image.size  # region codes instead of names, same layout


def store_with_results(state: Path) -> None:
    report = guizhou_verdicts()
    store = Store(state / "govsweep.sqlite")
    for v in report:
        store.add_verdict(v)
    store.close()


@pytest.mark.parametrize("fmt", ["xlsx", "md", "html", "docx"])
def test_report_command_writes_each_format(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSWEEP_STATE_DIR", str(tmp_path / "state"))
    store_with_results(tmp_path / "state")
    out = tmp_path / f"通报.{fmt}"
    assert main(["report", "--quarter", "2020Q1", "--out", str(out)]) == 0
    assert out.stat().st_size > 1000
    if fmt == "md":
        text = out.read_text(encoding="utf-8")
        assert text.startswith("# 贵州省2020年第一季度政府网站检查情况\n")
        assert "| 合计 | 416 | 11 | 0 | 97.36% |" in text


def test_report_command_for_one_city_by_county_with_its_rate_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVSWEEP_STATE_DIR", str(tmp_path / "state"))
    store_with_results(tmp_path / "state")
    out = tmp_path / "tongren"
    args = ["report", "--quarter", "2020Q1", "--region", "520600", "--format", "csv"]
    assert main([*args, "--out", str(out), "--rate-style", "zhaotong"]) == 0
    with (out / "附件1_检查情况.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows[1] == ["市直部门", "34", "1", "0", "97.1%"]
    assert ["思南县", "1", "1", "0", "0"] in rows
    assert rows[-1] == ["合计", "36", "3", "0", "91.7%"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--quarter", "2020Q1", "--out", "x.xlsx"], "no results store in GOVSWEEP_STATE_DIR"),
        (
            ["--quarter", "2021Q1", "--out", "x.xlsx"],
            "no verdicts for 2021Q1 .* \\(quarters: 2020Q1\\)",
        ),
        (["--quarter", "2020Q1", "--out", "x.pdf"], "--out x.pdf: say --format"),
        (["--quarter", "2020Q1", "--format", "csv", "--out", "x.csv"], "give a folder"),
        (["--quarter", "2020Q1", "--region", "52a", "--out", "x.md"], "2, 4 or 6 digits"),
        (["--quarter", "2020Q1", "--region", "99", "--out", "x.md"], "not a GB/T 2260 province"),
        (["--quarter", "2020Q1", "--region", "5301", "--out", "x.md"], "no site of 2020Q1"),
    ],
)
def test_report_command_bad_input_is_one_clear_line(
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GOVSWEEP_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)
    if "no results store" not in message:
        store_with_results(tmp_path / "state")
    assert main(["report", *args]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("top, axis_end", [(1, 1), (5, 5), (7, 8), (23, 25)])
def test_findings_axis_ends_on_a_gridline_past_the_longest_bar(top: int, axis_end: int) -> None:
    report = guizhou_report()
    report.findings = [
        FindingCount("W-V4-3", "空白栏目", top),
        FindingCount("W-V3", "首页不更新", 1),
    ]
    chart = report_formats.charts(report)[1]
    assert chart.maximum == axis_end and chart.ticks[-1] == (axis_end, str(axis_end))
    assert len(chart.ticks) <= 6 and max(bar.value for bar in chart.bars) == top


EVIL = [
    '=HYPERLINK("http://evil.test/","点击")',
    "+1+2",
    "-3+cmd|' /C calc'!A0",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
]


def evil_report():
    """A report whose site names (registry input) are formula-injection payloads."""
    verdicts = [
        verdict(f"520000{n:04d}", name, "空白栏目数超过5个") for n, name in enumerate(EVIL, 1)
    ]
    return build_report(TITLE, "2020-03-06", "2020Q1", verdicts)


def test_formula_injection_names_are_inert_in_xlsx(tmp_path: Path) -> None:
    path = report_formats.write_xlsx(evil_report(), tmp_path / "通报.xlsx")
    book = load_workbook(path)
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    names = [row[3].value for row in book["附件2_问题网站名单"].iter_rows(min_row=3)]
    assert sorted(names) == sorted(EVIL)  # the text itself is kept, as text
