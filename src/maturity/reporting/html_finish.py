"""The last touches of an exported report: a self-contained page, every figure described,
headings kept with their figure when printed (no I/O).

nbconvert's page loads RequireJS, MathJax and Mermaid from a CDN and describes every figure as
"No description has been provided for this image". A finished report needs none of those
scripts (no widgets, equations or diagrams), must open offline and must not call anywhere, so
they are removed; each figure gets an alt text made from the words the figure itself shows;
and each heading is wrapped with what follows it up to its first figure, so that a printed
page never ends on a heading whose chart starts the next page.
"""

from __future__ import annotations

import base64
import html as html_module
import re

from bs4 import BeautifulSoup, Tag

#: Wraps a heading, its text and its figure: never split across printed pages.
KEEP_CLASS = "maturity-keep-together"
#: Added to the page, for printing from a browser as well as by ``maturity.reporting.pdf``.
KEEP_CSS = (f"@media print {{ .{KEEP_CLASS} {{ break-inside: avoid; page-break-inside: avoid; }} }}\n"
            f".{KEEP_CLASS} {{ display: flow-root; }}")
#: nbconvert's placeholder for an image without a description.
_NO_DESCRIPTION = "No description has been provided for this image"
_HEADINGS = ("h1", "h2", "h3", "h4")
_MAX_ALT = 400


def finish_report_html(page: str) -> str:
    """A report page made self-contained, described and print-ready.

    Parameters
    ----------
    page : str
        An HTML export of an executed notebook (nbconvert's ``lab`` template).

    Returns
    -------
    str
        The same page without scripts, with an alt text on every image and with each heading
        kept together with its figure in print.
    """
    soup = BeautifulSoup(page, features="html.parser")
    for script in soup.find_all("script"):
        script.decompose()  # a static report runs no code and fetches nothing
    for element in soup.find_all("link", href=re.compile(r"^(https?:)?//")):
        element.decompose()
    for image in soup.find_all("img"):
        if not image.get("alt") or image["alt"] == _NO_DESCRIPTION:
            image["alt"] = figure_description(image.get("src", ""), _heading_before(image))
    _keep_headings_with_figures(soup)
    style = soup.new_tag("style")
    style.string = KEEP_CSS
    (soup.head or soup).append(style)
    return str(soup)


def figure_description(src: str, heading: str | None = None) -> str:
    """An alt text for a figure: the words it shows (title, axis labels, legend, categories),
    from an SVG's text; for a raster image, the heading it sits under.

    Parameters
    ----------
    src : str
        The image's ``src`` (a ``data:`` URL for embedded figures).
    heading : str, optional
        The text of the nearest heading before the figure.

    Returns
    -------
    str
        "Chart: ..." naming what the chart shows.
    """
    words: list[str] = []
    if src.startswith("data:image/svg+xml"):
        svg = _data_url_text(src)
        # matplotlib writes each text as a comment when it draws text as paths, else as <text>
        found = re.findall(r"<!--\s*(.*?)\s*-->", svg, re.S) + re.findall(r"<text[^>]*>(.*?)</text>", svg, re.S)
        for text in (html_module.unescape(re.sub(r"<[^>]+>", "", t)).strip() for t in found):
            if text and not re.fullmatch(r"[−\-+]?[\d.,]+%?", text) and text not in words:
                words.append(text)  # numbers are tick labels: the words say what is shown
    if words:
        text = "Chart: " + "; ".join(words)
        return text if len(text) <= _MAX_ALT else text[: _MAX_ALT - 1].rsplit(";", 1)[0] + "…"
    return f"Chart: {heading}" if heading else "Chart"


def _data_url_text(src: str) -> str:
    header, _, data = src.partition(",")
    try:
        return base64.b64decode(data).decode("utf-8", "replace") if ";base64" in header else data
    except ValueError:
        return ""


def _heading_before(element: Tag) -> str | None:
    heading = element.find_previous(_HEADINGS)
    return heading.get_text(" ", strip=True).rstrip("¶").strip() if heading is not None else None


def _keep_headings_with_figures(soup: BeautifulSoup) -> None:
    """Wrap each run of cells from one with a heading to the first with a figure."""
    first = soup.find(class_="jp-Cell")
    if first is None:
        return
    cells = [c for c in first.parent.find_all(recursive=False) if "jp-Cell" in (c.get("class") or [])]
    group: list[Tag] = []
    for cell in cells:
        if cell.find(_HEADINGS) is not None:
            group = [cell]
        elif group:
            group.append(cell)
        if group and cell.find(["img", "svg"]) is not None:
            wrapper = soup.new_tag("div", attrs={"class": KEEP_CLASS})
            group[0].insert_before(wrapper)
            for member in group:
                wrapper.append(member.extract())
            group = []
