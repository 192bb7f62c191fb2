"""Personal data in a resident's own words (个人信息保护法 §28, §51): the one function that masks phone numbers, ID
numbers and e-mail addresses in free text before it reaches anyone but the handling department (Open311, the
tracking page, the firm's and the use unit's pages, API and exports; docs/rules.md "Who sees what").

What counts, in the forms residents type (full-width digits are read as ASCII ones first):
- mobiles: 11 digits 1[3-9]x, optionally after +86 / 0086 / 86 / (+86), in groups split by spaces, dashes or dots
  (13812345678, 138 1234 5678, 138-1234-5678, +86 138 1234 5678, 0086-13812345678);
- landlines: area code 0xx/0xxx (or in brackets, or after +86 without its 0) and 7-8 digits, with an optional
  extension (0812-3334444, (0812)3334444, 0812 3334444, 010-12345678转123, +86 812 3334444);
- resident ID numbers: 18 digits (the last may be X) or the old 15, with a plausible birth date, optionally split
  6-8-4 by spaces; a tracking number (TS + 18 digits) or a 20-digit registration code is not one;
- e-mail addresses.
Each becomes "***". Over-masking a number that only looks personal is the accepted cost.
"""

import re

MASK = "***"

_PREFIX = r"(?:(?:\+|＋|00)?86[ \u3000\-－]?|[(（]\+?86[)）][ \u3000]?)"
_GAP = r"[ \u3000\-－.]?"

# Order matters: ID numbers first (longest), then mobiles, then landlines.
ID_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:"
    r"\d{6}[ \u3000]?(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])[ \u3000]?\d{3}[\dXx]"
    r"|\d{6}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
    r")(?![0-9A-Za-z])"
)
MOBILE_RE = re.compile(rf"(?<![\d+＋]){_PREFIX}?1[3-9]\d(?:{_GAP}\d){{8}}(?!\d)")
LANDLINE_RE = re.compile(
    rf"(?<![\d+＋])(?:{_PREFIX}[(（]?0?\d{{2,3}}[)）]?|[(（]0\d{{2,3}}[)）]|0\d{{2,3}})"
    r"[ \u3000\-－]?\d{7,8}(?:(?:[-－]|转|ext\.?)\d{1,6})?(?!\d)"
)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋", "0123456789+")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)  # ASCII: \w would eat the Chinese before it


def mask_personal_data(text: str) -> str:
    """The resident's text with phone numbers, ID numbers and e-mail addresses replaced by "***"."""
    if not text:
        return text or ""
    text = text.translate(_FULL_WIDTH)
    text = EMAIL_RE.sub(MASK, text)
    text = ID_RE.sub(MASK, text)
    text = MOBILE_RE.sub(MASK, text)
    return LANDLINE_RE.sub(MASK, text)
