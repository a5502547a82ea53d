#!/usr/bin/env python3
"""Checks a rooflm report page as Chromium rendered it (the DOM of `chromium --dump-dom`).

Always checked: every chart ([data-chart]) draws at least one data mark (a Vega role-mark group with
a child: a chart with zero marks fails); the headline section comes first (after the comparison,
when there is one); the scenario section comes last and its JSON is folded (<details>, closed);
the environment shows no raw JSON and no "null"; the kernel lists are folded (<details
class="kernel-set">, closed). Options add checks of one case (see --help).
Usage: report_dom_check.py PAGE.dom [--lines CHART N] [--not-recorded NAME] ... ; exit 1 naming the
first failed check.
"""
import argparse
import re
import sys
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children, self.text = tag, dict(attrs), parent, [], ""

    def classes(self):
        return (self.attrs.get("class") or "").split()

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    def find_all(self, pred):
        return [n for n in self.walk() if pred(n)]

    def visible_text(self):
        if self.tag in ("script", "style"):
            return ""
        # elements set apart by a space: the words of neighbouring cells never run together
        return self.text + "".join(c.visible_text() if c.tag == "#text" else f" {c.visible_text()} " for c in self.children)


class Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.cur)
        self.cur.children.append(node)
        if tag not in VOID:
            self.cur = node

    def handle_startendtag(self, tag, attrs):
        self.cur.children.append(Node(tag, attrs, self.cur))

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        # text after a child belongs to the parent: keep it in a text node so order survives
        t = Node("#text", {}, self.cur)
        t.text = data
        self.cur.children.append(t)


def fail(message):
    print(f"report DOM check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dom")
    ap.add_argument("--lines", nargs=2, action="append", default=[], metavar=("CHART", "N"),
                    help="chart CHART draws exactly N line series (SVG paths of its line marks)")
    ap.add_argument("--not-recorded", action="append", default=[], metavar="NAME",
                    help="'not recorded' stands where chart/section NAME would be")
    ap.add_argument("--chart", action="append", default=[], metavar="NAME", help="chart NAME is drawn")
    ap.add_argument("--headline-deltas", type=int, default=0, metavar="N", help="the headline shows at least N deltas")
    ap.add_argument("--kernel-sets", type=int, metavar="N", help="exactly N folded kernel lists")
    ap.add_argument("--kernel-once", metavar="KERNEL", help="KERNEL's name is shown exactly once")
    ap.add_argument("--legend-order", nargs=3, action="append", default=[], metavar=("CHART", "FIRST", "SECOND"),
                    help="in CHART's legend, label FIRST comes before label SECOND")
    ap.add_argument("--dash-legend", action="append", default=[], metavar="CHART",
                    help="CHART's legend shows at least two line styles (stroke-dasharray)")
    ap.add_argument("--compare", action="store_true", help="the comparison section comes first and shows B/A ratios")
    ap.add_argument("--text", action="append", default=[], help="visible text contains TEXT")
    args = ap.parse_args()

    tree = Tree()
    with open(args.dom, encoding="utf-8") as f:
        tree.feed(f.read())
    root = tree.root
    charts = {n.attrs["data-chart"]: n for n in root.find_all(lambda n: "data-chart" in n.attrs)}
    sections = [n for n in root.find_all(lambda n: n.tag == "section")]
    section = {s.attrs.get("id"): s for s in sections}
    page_text = root.visible_text()

    for name, div in charts.items():
        if div.attrs.get("data-rendered") != "true":
            fail(f"chart {name} not rendered")
        marks = div.find_all(lambda n: n.tag == "g" and "role-mark" in n.classes() and
                             any(c.tag != "#text" for c in n.children))
        if not marks:
            fail(f"chart {name} draws zero marks")

    first = [s.attrs.get("id") for s in sections[:2]]
    if args.compare:
        if first != ["compare", "headline"]:
            fail(f"expected the comparison then the headline first, got sections {first}")
        if "B/A" not in section["compare"].visible_text():
            fail("comparison shows no B/A ratio")
    elif not first or first[0] != "headline":
        fail(f"the headline is not the first section (sections begin {first})")
    deltas = section["headline"].find_all(lambda n: "data-delta" in n.attrs)
    if len(deltas) < args.headline_deltas:
        fail(f"headline shows {len(deltas)} deltas, expected at least {args.headline_deltas}")
    if args.headline_deltas and not re.search(r"[+-]\d+\.\d%", section["headline"].visible_text()):
        fail("headline deltas are not shown as percentages")

    if sections[-1].attrs.get("id") != "scenario":
        fail(f"the last section is {sections[-1].attrs.get('id')}, not the scenario")
    for pre in section["scenario"].find_all(lambda n: n.tag == "pre"):
        details = pre.parent
        if details.tag != "details" or "open" in details.attrs:
            fail("the scenario JSON is not folded in a closed <details>")

    env = section["environment"]
    for table in env.find_all(lambda n: n.tag == "table"):
        text = table.visible_text()
        if re.search(r"\bnull\b|\bundefined\b|[{}\"]", text):
            fail(f"environment shows raw JSON or null: {text[:200]!r}")

    sets = root.find_all(lambda n: n.tag == "details" and "kernel-set" in n.classes())
    if any("open" in s.attrs for s in sets):
        fail("a kernel list is unfolded")
    if args.kernel_sets is not None and len(sets) != args.kernel_sets:
        fail(f"{len(sets)} kernel lists, expected {args.kernel_sets}")
    if args.kernel_once:
        shown = len(re.findall(r"(?<![\w:])" + re.escape(args.kernel_once) + r"(?![\w])", page_text))
        if shown != 1:
            fail(f"kernel {args.kernel_once} shown {shown} times, expected once")

    for name, n in args.lines:
        if name not in charts:
            fail(f"chart {name} missing")
        paths = [p for g in charts[name].find_all(lambda g: g.tag == "g" and "mark-line" in g.classes() and "role-mark" in g.classes())
                 for p in g.children if p.tag == "path"]
        if len(paths) != int(n):
            fail(f"chart {name} draws {len(paths)} lines, expected {n}")
        if charts[name].attrs.get("data-lines") != n:
            fail(f"chart {name} says data-lines={charts[name].attrs.get('data-lines')}, expected {n}")
    for name in args.chart:
        if name not in charts:
            fail(f"chart {name} missing")
    for name in args.not_recorded:
        hits = root.find_all(lambda n: n.attrs.get("data-not-recorded") == name)
        if not hits or "not recorded" not in hits[0].visible_text():
            fail(f"no 'not recorded' for {name}")
        if name in charts:
            fail(f"chart {name} drawn although not recorded")
    for name, a, b in args.legend_order:
        labels = [t.visible_text() for g in charts[name].find_all(lambda g: "role-legend-label" in g.classes())
                  for t in g.children if t.tag == "text"]
        if a not in labels or b not in labels:
            fail(f"chart {name}: legend labels {labels} lack {a!r} or {b!r} (truncated?)")
        if labels.index(a) > labels.index(b):
            fail(f"chart {name}: legend has {b!r} before {a!r}: {labels}")
    for name in args.dash_legend:
        symbols = [p.attrs for g in charts[name].find_all(lambda g: "role-legend-symbol" in g.classes())
                   for p in g.children if p.tag == "path"]
        dashes = {a["stroke-dasharray"] for a in symbols
                  if "stroke-dasharray" in a and a.get("stroke") not in ("transparent", "none", None)}
        if len(dashes) < 2:
            fail(f"chart {name}: legend symbols show fewer than two visible line styles ({symbols})")
    for text in args.text:
        if text not in page_text:
            fail(f"page lacks text {text!r}")
    print(f"report DOM check: {args.dom}: {len(charts)} charts with marks, {len(sections)} sections, checks pass")


if __name__ == "__main__":
    main()
