"""Page widgets scraped into article text: blanked before the rules read a passage.

Text collected from news pages often holds the words of a widget inside a paragraph: a related-links box after a
person's name ("President Trump Donald John TrumpGOP senators balk at lengthy impeachment trial Warren goes local
in race to build 2020 movement MORE said on Wednesday ...": a display name, the person's full name glued to two
or three headlines, and "MORE"), or a video box ("JUST WATCHED Alito disagrees with Obama Replay More Videos ...
MUST WATCH Alito disagrees with Obama 01:03"). Their headlines are other stories' words: read as the passage's
own, they give a frame the label "Mitch McConnell Addison", make "decries 'scam impeachment'" a verdict on the
frame and a headline's "argues" an attribution.

:func:`blank_widgets` replaces each widget's characters with spaces (line breaks kept), so the text keeps its
length and every offset into it still points at the same words: the cue finder, the stance rules and the label
step read the blanked text, and what they report (spans, sentences, labels) is still found in the stored text.
The stored passages, their text hashes and their vectors are not changed (a passage's vector still holds the
widget's words; embedding the blanked text would change every such passage's key).

The related-links box is recognised by its shape, not by an outlet's name: a word glued to the next one ("TrumpGOP",
"Harris2020") whose glued-on part is preceded, within a few words, by the same word standing alone (the display
name, "President Trump ... Donald John Trump"), and a "MORE" after it within ``WIDGET_CHARS``; everything from the
end of the display name to the end of "MORE" is the widget. A glued word without the display name before it
("McDonald", "iPhone", "YouTube") is left alone.
"""

from __future__ import annotations

import re

WIDGET_CHARS = 1000  # a related-links box: the glued full name to its "MORE", at most this long
NAME_REACH = 80  # the display name stands at most this many characters before the glued full name

_MORE = re.compile(r"\bMORE\b")
_TOKEN = re.compile(r"\S+")
_SENTENCE_END = re.compile(r"[a-z]{2}[.!?]\s")
_GLUE = re.compile(r"(?<=[a-z])(?=[A-Z0-9'‘“\"])")
_VIDEO = re.compile(r"\bJUST WATCHED\b.{0,300}?\bReplay More Videos\b(?:\s*(?:\.\.\.|…))?"
                    r"(?:\s*MUST WATCH\b.{0,300}?\b\d{1,2}:\d{2}\b)?", re.S)


def _spaces(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def widget_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each widget in ``text``, in order, not overlapping."""
    spans = [(m.start(), m.end()) for m in _VIDEO.finditer(text)]
    floor = 0
    for more in _MORE.finditer(text):
        start = max(floor, more.start() - WIDGET_CHARS)
        found = None
        for token in _TOKEN.finditer(text, start, more.start()):
            word = token.group()
            for glue in _GLUE.finditer(word):
                name = word[:glue.start()].lstrip("\"'“‘(")
                if len(name) < 3 or not name[:1].isupper():
                    continue
                # the display name: the same word, standing alone, a few words before the glued full name
                before = text[max(start, token.start() - NAME_REACH):token.start()]
                alone = [m for m in re.finditer(rf"(?<![\w'’-]){re.escape(name)}(?![\w'’-])", before)]
                # only the rest of a full name between them ("Donald John", "Charles (Pat) Patrick"), no sentence end
                if alone and not _SENTENCE_END.search(before[alone[-1].end():]):
                    found = token.start() - len(before) + alone[-1].end()
                    break
            if found is not None:
                break
        if found is not None and not any(a <= found < b for a, b in spans):
            spans.append((found, more.end()))
            floor = more.end()
    return sorted(spans)


def blank_widgets(text: str) -> str:
    """``text`` with every widget's characters (``widget_spans``) replaced by spaces: the same length, the same
    offsets, line breaks kept. Text without a widget is returned as it is."""
    if "MORE" not in text and "JUST WATCHED" not in text:
        return text
    spans = widget_spans(text)
    if not spans:
        return text
    out, pos = [], 0
    for a, b in spans:
        out.append(text[pos:a])
        out.append(_spaces(text[a:b]))
        pos = b
    out.append(text[pos:])
    return "".join(out)
