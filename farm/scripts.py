"""The JavaScript of columns whose list only a browser can read (plain ES5/DOM: no outside library).

Each script fills `<ul id="list">` with `<li><a href title>title</a><span>YYYY-MM-DD</span></li>`.
"""

from __future__ import annotations

import json

# The list is in the page as a JS array; a loop builds the entries.
INLINE_JSON = """var listData = %s;
(function () {
  var list = document.getElementById("list");
  listData.forEach(function (d) {
    var li = document.createElement("li");
    var a = document.createElement("a");
    a.href = d.url; a.title = d.title; a.target = "_blank"; a.textContent = d.title;
    var span = document.createElement("span");
    span.textContent = d.date;
    li.append(a, span);
    list.append(li);
  });
})();"""

# The list comes from the column's JSON endpoint (data.json beside the page).
AJAX = """(function () {
  var xhr = new XMLHttpRequest();
  xhr.open("GET", "data.json?page=1");
  xhr.onload = function () {
    var list = document.getElementById("list");
    JSON.parse(xhr.responseText).items.forEach(function (d) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = d.url; a.title = d.title; a.target = "_blank"; a.textContent = d.title;
      var span = document.createElement("span");
      span.textContent = d.date;
      li.append(a, span);
      list.append(li);
    });
  };
  xhr.send();
})();"""

# Keeps a browser's page busy for ever (a hostile page).
ENDLESS_LOOP = "var spin = 0; while (true) { spin += 1; }"


def inline_json(entries: list[dict[str, str]]) -> str:
    """INLINE_JSON with the entries in; `</` is escaped so no title can close the script."""
    return INLINE_JSON % json.dumps(entries, ensure_ascii=False).replace("</", "<\\/")
