"""The 通报 as XLSX, DOCX and HTML, laid out from a `report.Report`.

HTML carries its charts as inline SVG; DOCX as PNG drawn with Pillow (Chinese labels need a CJK font
on the machine, found through fontconfig; without one the bars are labelled with region codes and
indicator ids instead, never with unreadable boxes).
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import unicodedata
from html import escape
from pathlib import Path

import msgspec
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from PIL import Image, ImageDraw, ImageFont

from services.reporting.cells import is_formula_like, percent_value
from services.reporting.report import (
    NO_RATE,
    TOTAL,
    Report,
    Table,
    meta_line,
    section_headings,
    signature,
    tables,
)

ACCENT = "#b22222"  # the red of a 通报's title rule
BAR = "#2f5f98"
BAR_PROBLEM = "#c0504d"
KNOWN_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
XLSX_MAX_WIDTH = 60  # characters; longer cells wrap


class Bar(msgspec.Struct):
    """One bar of a chart."""

    label: str
    fallback: str  # ASCII label for a PNG drawn without a CJK font
    value: float
    text: str  # printed after the bar
    problem: bool = False  # drawn in the warning colour


class Chart(msgspec.Struct):
    title: str
    bars: list[Bar]
    maximum: float
    ticks: list[tuple[float, str]]


def charts(report: Report) -> list[Chart]:
    """合格率 per region (0..100%) and sites failing each veto indicator."""
    regions = [r for r in report.regions if r.key != TOTAL and r.pass_rate != NO_RATE]
    rate = Chart(
        "各地区（部门）合格率",
        [
            Bar(r.region, r.key, r.pass_ratio or 0.0, r.pass_rate, problem=r.problems > 0)
            for r in regions
        ],
        1.0,
        [(i / 4, f"{25 * i}%") for i in range(5)],
    )
    top = max((f.sites for f in report.findings), default=0)
    step = max(1, -(-top // 5))  # at most five gridlines after 0
    axis_end = max(step, -(-top // step) * step)  # the last gridline: the axis ends on it
    findings = Chart(
        "单项否决问题发现数（按指标，家）",
        [
            Bar(f"{f.name}（{f.indicator}）", f.indicator, f.sites, str(f.sites), problem=True)
            for f in report.findings
        ],
        float(axis_end),
        [(float(n), str(n)) for n in range(0, axis_end + 1, step)],
    )
    return [rate, findings]


# ---------------------------------------------------------------------------------------- XLSX


def _display_width(text: str) -> int:
    """Columns a string takes in a spreadsheet: CJK characters are two wide."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_xlsx(report: Report, path: Path) -> Path:
    """One sheet for 总体情况 and one per attachment, with titles, widths and frozen headers."""
    book = Workbook()
    overview = book.active
    overview.title = "总体情况"
    overview["A1"] = report.title
    overview["A1"].font = Font(bold=True, size=16)
    overview["A2"] = meta_line(report)
    sections = [
        ("一、总体情况", report.summary),
        ("二、复查整改情况", report.recheck_summary),
        *zip(section_headings(report), (s.paragraph for s in report.sections), strict=True),
    ]
    texts = [overview["A1"]]
    for row, (heading, text) in zip(range(4, 4 + 3 * len(sections), 3), sections, strict=True):
        overview.cell(row, 1, heading).font = Font(bold=True, size=12)
        cell = overview.cell(row + 1, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        overview.row_dimensions[row + 1].height = 18 * (1 + _display_width(text) // 100)
        texts.append(cell)
    overview.column_dimensions["A"].width = 100
    for cell in texts:
        if is_formula_like(cell.value):
            cell.data_type, cell.quotePrefix = "s", True

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    for table in tables(report):
        sheet = book.create_sheet(table.name[:31])
        sheet.cell(1, 1, table.title).font = Font(bold=True, size=14)
        sheet.cell(1, 1).alignment = Alignment(horizontal="center")
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(table.header))
        for col, name in enumerate(table.header, start=1):
            cell = sheet.cell(2, col, name)
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.border = border
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for r, values in enumerate(table.rows, start=3):
            for col, value in enumerate(values, start=1):
                cell = sheet.cell(r, col, value)
                if is_formula_like(value):
                    # Outside text stays text: openpyxl would store "=..." as a live formula.
                    cell.data_type, cell.quotePrefix = "s", True
                elif (percent := percent_value(value)) is not None:
                    cell.value, cell.number_format = percent  # 合格率 as a number, shown as %
                cell.border = border
                wide = isinstance(value, str) and _display_width(value) > XLSX_MAX_WIDTH
                cell.alignment = Alignment(
                    horizontal="left" if isinstance(cell.value, str) else "center",
                    vertical="center",
                    wrap_text=wide,
                )
        if not table.rows:
            sheet.cell(3, 1, "无")
        for col, name in enumerate(table.header, start=1):
            longest = max(
                [_display_width(name)] + [_display_width(str(row[col - 1])) for row in table.rows]
            )
            sheet.column_dimensions[get_column_letter(col)].width = min(XLSX_MAX_WIDTH, longest + 2)
        sheet.freeze_panes = "A3"
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


# ---------------------------------------------------------------------------------------- HTML


class Layout(msgspec.Struct):
    """Where a chart's parts go, in CSS pixels: shared by the SVG and the PNG."""

    label_w: int
    plot_w: int
    width: int
    height: int
    row_h: int = 26
    top: int = 28


def _layout(chart: Chart) -> Layout:
    # 13 px text: a CJK character is about 13 px wide, a Latin one about 7.
    longest = max((_display_width(bar.label) for bar in chart.bars), default=0)
    label_w = min(320, max(100, longest * 7 + 16))
    plot_w = 640 - label_w
    return Layout(label_w, plot_w, label_w + plot_w + 70, 28 + 26 * len(chart.bars) + 8)


def _svg_chart(chart: Chart) -> str:
    """A horizontal bar chart as inline SVG: labels left, bars, value after each bar."""
    box = _layout(chart)
    label_w, plot_w, row_h, top = box.label_w, box.plot_w, box.row_h, box.top
    width, height = box.width, box.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(chart.title)}">'
    ]
    for value, text in chart.ticks:
        x = label_w + plot_w * value / chart.maximum
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{height - 8}" class="grid"/>'
            f'<text x="{x:.1f}" y="{top - 10}" class="tick">{escape(text)}</text>'
        )
    for i, bar in enumerate(chart.bars):
        y = top + i * row_h
        w = plot_w * bar.value / chart.maximum
        colour = BAR_PROBLEM if bar.problem else BAR
        parts.append(
            f'<text x="{label_w - 8}" y="{y + row_h / 2 + 4:.1f}" class="label">'
            f"{escape(bar.label)}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="{row_h - 10}" '
            f'fill="{colour}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + row_h / 2 + 4:.1f}" class="value">'
            f"{escape(bar.text)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


HTML_STYLE = """
@page { size: A4; margin: 20mm 18mm; }
body { margin: 0; background: #eef0f3; color: #1a1a1a;
  font-family: "FangSong", "STFangsong", "Noto Serif CJK SC", "Source Han Serif SC", "SimSun",
    "WenQuanYi Micro Hei", "Noto Sans CJK SC", serif; font-size: 16px; line-height: 1.8; }
main { max-width: 860px; margin: 24px auto; background: #fff; padding: 48px 64px 56px;
  box-shadow: 0 1px 6px rgba(0,0,0,.12); }
h1 { text-align: center; font-size: 26px; font-weight: bold; letter-spacing: 1px; margin: 0;
  padding-bottom: 14px; border-bottom: 3px solid ACCENT; }
.meta { text-align: center; color: #555; font-size: 14px; margin: 10px 0 26px; }
h2 { font-size: 18px; margin: 28px 0 8px; font-family: "SimHei", "Noto Sans CJK SC",
  "WenQuanYi Micro Hei", sans-serif; }
h3 { text-align: center; font-size: 18px; margin: 36px 0 10px; }
p { text-indent: 2em; margin: 6px 0; text-align: justify; }
.figures { display: flex; gap: 12px; margin: 18px 0 6px; }
.figure { flex: 1; border: 1px solid #d5dbe3; border-top: 3px solid BAR; padding: 8px 12px;
  text-align: center; }
.figure b { display: block; font-size: 24px; font-family: "DejaVu Sans", sans-serif; }
.figure span { font-size: 13px; color: #555; }
figure { margin: 18px 0; }
figcaption { text-align: center; font-weight: bold; font-size: 15px; margin-bottom: 4px; }
svg { display: block; margin: 0 auto; max-width: 100%; height: auto;
  font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; }
svg .label { font-size: 13px; text-anchor: end; fill: #222; }
svg .value { font-size: 12px; fill: #222; }
svg .tick { font-size: 11px; text-anchor: middle; fill: #777; }
svg .grid { stroke: #d9d9d9; stroke-width: 1; }
table { width: 100%; border-collapse: collapse; font-size: 14px; line-height: 1.5; }
th, td { border: 1px solid #666; padding: 5px 7px; }
th { background: #e8edf4; font-weight: bold; text-align: center; white-space: nowrap; }
td.n { text-align: center; white-space: nowrap; }
td.k { white-space: nowrap; }
td.url { overflow-wrap: normal; font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }
.signature { text-align: right; text-indent: 0; margin: 32px 0 0; }
tr.total td { font-weight: bold; background: #f6f6f6; }
.attachment { font-family: "SimHei", "WenQuanYi Micro Hei", sans-serif; margin-top: 40px; }
.none { text-indent: 0; color: #555; }
""".replace("ACCENT", ACCENT).replace("BAR", BAR)


def _html_table(table: Table) -> str:
    if not table.rows:
        return '<p class="none">无。</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in table.header)
    classes = [_cell_class(table, i) for i in range(len(table.header))]
    body = []
    for row in table.rows:
        total = ' class="total"' if row and row[0] == TOTAL else ""
        cells = "".join(
            f'<td class="{css}">{_cell_html(css, v)}</td>' if css else f"<td>{escape(str(v))}</td>"
            for css, v in zip(classes, row, strict=True)
        )
        body.append(f"<tr{total}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# Columns laid out centred (counts, ids, rates), by table name (others: none).
NUMERIC_COLUMNS: dict[str, set[int]] = {
    "附件1_检查情况": {1, 2, 3, 4},
    "附件2_问题网站名单": {0, 2},
    "未能检测网站": {0, 2},
    "复查情况": {0, 2},
    "政务新媒体检查情况": {1, 2, 3, 4, 5},
    "不合格的政务新媒体": {0},
    "存在问题的政务新媒体": {0},
    "未能检测的政务新媒体": {0},
    "重要信息转载情况": {0, 4, 5, 6, 7},
    "重要信息未按时转载明细": {0, 5},
}


def _cell_html(css: str, value: object) -> str:
    """A URL may wrap only after a "/" (or "?", "&"), never inside a host or a path segment."""
    text = escape(str(value))
    if css != "url":
        return text
    head, sep, rest = text.partition("://")
    for mark in ("/", "?", "&amp;"):
        rest = rest.replace(mark, mark + "<wbr>")
    return head + sep + rest if sep else text


def _cell_class(table: Table, column: int) -> str:
    """n: centred, k: kept on one line (a region or site name), url: wraps only between parts."""
    if column in NUMERIC_COLUMNS.get(table.name, ()):
        return "n"
    if table.header[column] == "首页地址":
        return "url"
    return "k" if table.header[column] in ("地区", "网站名称") else ""


def render_html(report: Report) -> str:
    """A self-contained HTML page: no scripts, no external resources."""
    total = report.regions[-1]
    figures = [
        (total.sites, "在运行网站"),
        (total.checked, "完成检查"),
        (total.problems, "问题网站"),
        (total.pass_rate, "总体合格率"),
    ]
    attachments = tables(report)
    by_name = {t.name: t for t in attachments}
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(report.title)}</title><style>{HTML_STYLE}</style></head><body><main>",
        f"<h1>{escape(report.title)}</h1>",
        f'<div class="meta">{escape(meta_line(report))}</div>',
        "<h2>一、总体情况</h2>",
        f"<p>{escape(report.summary)}</p>",
        '<div class="figures">'
        + "".join(
            f'<div class="figure"><b>{escape(str(v))}</b><span>{label}</span></div>'
            for v, label in figures
        )
        + "</div>",
    ]
    for chart in charts(report):
        if chart.bars:
            parts.append(
                f"<figure><figcaption>{escape(chart.title)}</figcaption>"
                f"{_svg_chart(chart)}</figure>"
            )
        else:
            parts.append(f'<p class="none">{escape(chart.title)}：无。</p>')
    parts += ["<h2>二、复查整改情况</h2>", f"<p>{escape(report.recheck_summary)}</p>"]
    if "复查情况" in by_name:
        parts.append(_html_table(by_name["复查情况"]))
    for heading, section in zip(section_headings(report), report.sections, strict=True):
        parts += [f"<h2>{escape(heading)}</h2>", f"<p>{escape(section.paragraph)}</p>"]
    if report.issuer:
        parts.append(
            '<p class="signature">' + "<br>".join(escape(s) for s in signature(report)) + "</p>"
        )
    for table in attachments:
        if table.name == "复查情况":
            continue
        parts += [
            f"<h3 class='attachment'>{escape(table.title)}</h3>",
            _html_table(table),
        ]
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"


def write_html(report: Report, path: Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(report), encoding="utf-8")
    return path


# ----------------------------------------------------------------------------------------- PNG


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """A font file with Chinese glyphs: fontconfig's choice, else a known Debian path."""
    if shutil.which("fc-list"):
        try:
            listed = subprocess.run(
                ["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10
            ).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        files = sorted(line.split(":")[0].strip() for line in listed.splitlines() if line.strip())
        if files:
            return files[0]
    return next((path for path in KNOWN_CJK_FONTS if Path(path).exists()), None)


def chart_png(chart: Chart, scale: int = 2) -> bytes:
    """The chart as a PNG, the same layout as the SVG, drawn at `scale`× for print."""
    box = _layout(chart)
    label_w, plot_w, row_h, top = box.label_w, box.plot_w, box.row_h, box.top
    width, height = box.width, box.height
    font_file = cjk_font()
    image = Image.new("RGB", (width * scale, height * scale), "white")
    draw = ImageDraw.Draw(image)

    def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        if font_file:
            return ImageFont.truetype(font_file, size * scale)
        return ImageFont.load_default(size * scale)

    label_font, small = font(13), font(11)
    for value, text in chart.ticks:
        x = (label_w + plot_w * value / chart.maximum) * scale
        draw.line([(x, (top - 6) * scale), (x, (height - 8) * scale)], fill="#d9d9d9", width=scale)
        draw.text((x, (top - 10) * scale), text, fill="#777777", font=small, anchor="ms")
    for i, bar in enumerate(chart.bars):
        y = (top + i * row_h) * scale
        w = plot_w * bar.value / chart.maximum * scale
        middle = y + row_h * scale / 2
        label = bar.label if font_file else bar.fallback
        draw.text(
            ((label_w - 8) * scale, middle), label, fill="#222222", font=label_font, anchor="rm"
        )
        x0 = label_w * scale
        if w >= 1:
            draw.rectangle(
                [x0, y + 5 * scale, x0 + w, y + (row_h - 5) * scale],
                fill=BAR_PROBLEM if bar.problem else BAR,
            )
        draw.text((x0 + w + 6 * scale, middle), bar.text, fill="#222222", font=small, anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------- DOCX

BODY_FONT = "仿宋"
HEADING_FONT = "黑体"
TITLE_FONT = "方正小标宋简体"


def _font(run, name: str, size: float, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = Pt(size)
    run.font.bold = bold
    # Word picks the Chinese font from w:eastAsia, not from the font name above.
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), name)


def _paragraph(document, text: str, *, indent: bool = True, size: float = 14) -> None:
    paragraph = document.add_paragraph()
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(size * 2)
    paragraph.paragraph_format.line_spacing = 1.5
    _font(paragraph.add_run(text), BODY_FONT, size)


def _heading(document, text: str, *, centred: bool = False, size: float = 15) -> None:
    paragraph = document.add_paragraph()
    paragraph.paragraph_format.space_before = Pt(12)
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run(text), HEADING_FONT, size, bold=True)


def _shade(cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _docx_table(document, table: Table, numeric: set[int]) -> None:
    if not table.rows:
        _paragraph(document, "无。", indent=False, size=12)
        return
    grid = document.add_table(rows=1, cols=len(table.header))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, name in zip(grid.rows[0].cells, table.header, strict=True):
        cell.text = ""
        paragraph = cell.paragraphs[0]
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(paragraph.add_run(name), HEADING_FONT, 10.5, bold=True)
        _shade(cell, "E8EDF4")
    for values in table.rows:
        cells = grid.add_row().cells
        for i, (cell, value) in enumerate(zip(cells, values, strict=True)):
            paragraph = cell.paragraphs[0]
            if i in numeric:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(paragraph.add_run(str(value)), BODY_FONT, 10.5, bold=values[0] == TOTAL)


def write_docx(report: Report, path: Path) -> Path:
    """The 通报 as a Word document: title, 总体情况 with charts, 复查整改, then the attachments."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.orientation = WD_ORIENT.PORTRAIT
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.5)

    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = title.add_run(report.title)
    _font(run, TITLE_FONT, 20, bold=True)
    run.font.color.rgb = RGBColor.from_string(ACCENT.lstrip("#").upper())
    meta = document.add_paragraph()
    meta.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(meta.add_run(meta_line(report)), BODY_FONT, 12)

    _heading(document, "一、总体情况")
    _paragraph(document, report.summary)
    for chart in charts(report):
        if not chart.bars:
            continue
        caption = document.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(caption.add_run(chart.title), HEADING_FONT, 12, bold=True)
        document.add_picture(io.BytesIO(chart_png(chart)), width=Cm(16))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER

    _heading(document, "二、复查整改情况")
    _paragraph(document, report.recheck_summary)
    attachments = tables(report)
    for table in attachments:
        if table.name == "复查情况":
            _docx_table(document, table, NUMERIC_COLUMNS[table.name])
    for heading, part in zip(section_headings(report), report.sections, strict=True):
        _heading(document, heading)
        _paragraph(document, part.paragraph)
    for line in signature(report):
        signed = document.add_paragraph()
        signed.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        _font(signed.add_run(line), BODY_FONT, 14)
    for table in attachments:
        if table.name == "复查情况":
            continue
        _heading(document, table.title, centred=True, size=16)
        _docx_table(document, table, NUMERIC_COLUMNS.get(table.name, set()))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path
