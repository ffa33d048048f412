"""W-V1 candidates on a page: lexicon hits, hidden off-site links, scripts and frames from elsewhere.

Foreign hosts are loopback addresses: nothing here is ever fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from crawler.security import (
    MAX_PER_KIND,
    Lexicon,
    LexiconEntry,
    LexiconError,
    default_lexicon,
    load_lexicon,
    scan_page,
)

URL = "http://127.0.0.1:8103/index.html"
OTHER = "http://127.66.0.1"  # another host
NO_LEXICON = Lexicon([])


def scan(body: str, lexicon: Lexicon = NO_LEXICON, head: str = "") -> list[tuple[str, str]]:
    tree = LexborHTMLParser(f"<html><head>{head}</head><body>{body}</body></html>")
    return [
        (c.kind, c.detail if c.kind == "hidden_link" else c.text)
        for c in scan_page(tree, URL, lexicon)
    ]


def test_packaged_lexicon_ships_only_marked_examples() -> None:
    lexicon = default_lexicon()

    assert lexicon.entries
    assert all(entry.example for entry in lexicon.entries)


def test_lexicon_hit_across_elements_and_spaces_once_per_form() -> None:
    tree = LexborHTMLParser(
        "<html><body><p>会见台湾总 统时</p><p>台湾<b>总统</b></p>"
        "<script>var s='一带一路战略'</script></body></html>"
    )

    found = scan_page(tree, URL, default_lexicon())

    assert [(c.kind, c.text, c.example) for c in found] == [("lexicon", "台湾总统", True)]
    assert found[0].detail.startswith("规范表述为「台湾地区领导人」，涉台规范表述；上下文：…")


@pytest.mark.parametrize(
    ("holder", "how"),
    [
        ('<div style="display: none">{a}</div>', "链接被隐藏（display:none）"),
        ('<span style="visibility:hidden">{a}</span>', "链接被隐藏（visibility:hidden）"),
        ('<div style="position:absolute;left:-9999px">{a}</div>', "链接被隐藏（移出可视区域）"),
        ('<p style="text-indent:-999px">{a}</p>', "链接被隐藏（移出可视区域）"),
        ('<font style="font-size:0px">{a}</font>', "链接被隐藏（字号为0或1）"),
        ('<marquee height="1" width="1">{a}</marquee>', "链接被隐藏（1像素滚动框）"),
        ("<div hidden>{a}</div>", "链接被隐藏（hidden属性）"),
        ('<div style="height:0;overflow:hidden">{a}</div>', "链接被隐藏（尺寸为0且溢出隐藏）"),
    ],
)
def test_each_way_of_hiding_a_link(holder: str, how: str) -> None:
    link = f'<a href="{OTHER}/casino/">博彩</a>'

    assert scan(holder.format(a=link)) == [("hidden_link", how)]


def test_visible_links_layout_offsets_and_hidden_same_host_menus_are_not_candidates() -> None:
    assert (
        scan(
            f'<a href="{OTHER}/">友情链接</a>'
            f'<div style="margin-left:-120px"><a href="{OTHER}/x">布局</a></div>'
            f'<p style="font-size:12px"><a href="{OTHER}/y">正文</a></p>'
            '<ul style="display:none"><li><a href="/zwgk/">政务公开</a></li></ul>'
        )
        == []
    )


def test_scripts_and_frames_from_another_host() -> None:
    found = scan(
        f'<iframe src="{OTHER}/ad.html"></iframe><script src="/js/local.js"></script>',
        head='<script src="//127.66.0.2/a.js"></script>',
    )

    assert found == [("script", "http://127.66.0.2/a.js"), ("iframe", f"{OTHER}/ad.html")]


def test_candidates_per_kind_are_capped() -> None:
    links = "".join(f'<a href="{OTHER}/{i}">x{i}</a>' for i in range(MAX_PER_KIND + 5))

    assert len(scan(f'<div style="display:none">{links}</div>')) == MAX_PER_KIND


def test_lexicon_file_faults_are_named(tmp_path: Path) -> None:
    garbled = tmp_path / "garbled.toml"
    garbled.write_text("[[entry]\n", encoding="utf-8")
    inside = tmp_path / "inside.toml"
    inside.write_text(
        '[[entry]]\nright = "台湾地区领导人"\nwrong = ["地区领导人", " "]\n', encoding="utf-8"
    )
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[[entry]]\nright = "x"\nwrong = ["y"]\ncolour = 1\n', encoding="utf-8")

    with pytest.raises(LexiconError, match=rf"^{garbled}: not valid TOML"):
        load_lexicon(garbled)
    with pytest.raises(LexiconError) as caught:
        load_lexicon(inside)
    assert str(caught.value).splitlines() == [
        f"{inside}: entry[0].wrong: give at least one non-empty wrong form",
        f"{inside}: entry[0].wrong: '地区领导人' is part of the right form",
    ]
    with pytest.raises(LexiconError, match=r"unknown field `colour`"):
        load_lexicon(unknown)
    with pytest.raises(LexiconError, match=r"cannot read the lexicon"):
        load_lexicon(tmp_path / "missing.toml")


def test_own_lexicon_entries_are_not_examples() -> None:
    lexicon = Lexicon([LexiconEntry(right="二〇二四年", wrong=["二零二四年"])])
    tree = LexborHTMLParser("<html><body><p>二零二四年工作要点</p></body></html>")

    [hit] = scan_page(tree, URL, lexicon)

    assert (hit.text, hit.example, hit.page) == ("二零二四年", False, URL)
