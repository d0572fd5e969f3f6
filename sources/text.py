"""Plain text from what sources send: HTML through a real parser (lxml), plain text left as it is.

Only fields that hold HTML go through the HTML parser; a plain-text title such as ``Kinder <6 Jahre und >60 Jahre
fahren gratis`` keeps every character. Whether a field holds HTML: Atom (and JSON Feed) say so for every field
(``type="text"`` is text, even ``History of the <blink> tag``); RSS says nothing, so feedparser's type is only a
guess, and a field counts as HTML when the HTML parser finds an HTML element in it (``<p>``, ``<script>``), not
when it merely contains "<" and ">". A regular expression cannot tell a tag from a "<" in a sentence; an HTML parser
can: it reads ``<6`` as text, the way a browser shows it. Scripts, styles and comments are dropped; block elements
become line breaks, so paragraphs stay apart; entities are decoded once (by the parser), never twice.
"""

from __future__ import annotations

import re

import lxml.etree
import lxml.html
import lxml.html.defs

HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")

_BLOCKS = frozenset(
    ("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure", "footer",
     "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table",
     "tbody", "td", "tfoot", "th", "thead", "tr", "ul")
)  # fmt: skip
_DROPPED = ("script", "style", "noscript", "template", "head")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # characters lxml refuses
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r" *\n[\s]*")


def is_html(content_type: str | None) -> bool:
    """True for the content types feeds use for HTML (``text/html``, ``application/xhtml+xml``, Atom's ``html``)."""
    return (content_type or "").split(";")[0].strip().lower() in HTML_TYPES


def field_text(value: object, content_type: str | None, *, declared: bool = True) -> str:
    """The readable text of one feed field: HTML stripped only when the field is HTML, whitespace tidied always.

    `declared` says whether the format states the type (Atom does); where it does not (RSS), a field feedparser
    calls plain text is still HTML if it has HTML elements in it.
    """
    text = "" if value is None else str(value)
    if "<" not in text and "&" not in text:
        return plain_text(text)
    if is_html(content_type) or (not declared and has_html_elements(text)):
        return strip_html(text)
    return plain_text(text)


def has_html_elements(value: str) -> bool:
    """True when the HTML parser finds an HTML element (``<b>``, ``<script>``) in the text, not just "<" and ">"."""
    if "<" not in value:
        return False
    try:
        root = lxml.html.fragment_fromstring(_NOT_XML.sub("", value), create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return False
    return any(isinstance(e.tag, str) and e.tag.lower() in lxml.html.defs.tags for e in root.iterdescendants())


def plain_text(value: str) -> str:
    """Whitespace tidied: runs of spaces become one, blank lines go, the ends are trimmed."""
    return _BLANK_LINES.sub("\n", _SPACES.sub(" ", _NOT_XML.sub("", value or ""))).strip()


def strip_html(value: str) -> str:
    """Plain text of an HTML fragment, read by lxml's HTML parser: scripts dropped, blocks become line breaks."""
    if not value or not value.strip():
        return ""
    cleaned = _NOT_XML.sub("", value)
    try:
        root = lxml.html.fragment_fromstring(cleaned, create_parent="div")
    except (lxml.etree.ParserError, ValueError):  # nothing parseable (only a comment, say): the text as written
        return plain_text(cleaned)
    for element in list(root.iter(*_DROPPED, lxml.etree.Comment, lxml.etree.ProcessingInstruction)):
        _drop(element)
    for element in root.iter():
        if isinstance(element.tag, str) and element.tag.lower() in _BLOCKS:
            element.tail = "\n" + (element.tail or "")
            if element.tag.lower() != "br":
                element.text = "\n" + (element.text or "")
    return plain_text(root.text_content())


def _drop(element: lxml.etree._Element) -> None:
    """Remove an element and its content but keep the text after it."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail or ""
    previous = element.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + tail
    else:
        parent.text = (parent.text or "") + tail
    parent.remove(element)
