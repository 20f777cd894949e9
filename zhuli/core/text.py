"""Text normalisation helpers: duplicate keys, search strings, pinyin, USCC and 大写 amounts."""

from __future__ import annotations

import operator
import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

__all__ = [
    "SEP",
    "bigrams",
    "clean_text",
    "digits",
    "name_core",
    "name_key",
    "normalize_query",
    "phone_key",
    "phone_query_key",
    "pinyin_keys",
    "query_bigrams",
    "search_text",
    "uscc_check_char",
    "validate_uscc",
    "website_host",
]

SEP = "\x1f"

# Whitespace (incl. U+3000 and U+001F, which str.isspace() treats as space), C0/C1 controls
# and the invisible format characters that survive copy-paste from Word/WeChat.
_INVISIBLE_RE = re.compile(
    "[\\s\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]+"
)

_BRACKETS_QUOTES = str.maketrans(
    {
        # Full-width （） are already () after NFKC.
        "[": "(",
        "]": ")",
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": '"',
        "\u2019": '"',
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "〝": '"',
        "〞": '"',
        "'": '"',
    }
)

_PAREN_GROUP_RE = re.compile(r"\([^()]*\)")


def _fold_once(s: str) -> str:
    """One pass of NFKC + casefold + invisible-character removal."""
    s = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", s).casefold())
    # Removing a space can make "e" + U+0301 adjacent, so normalise again after the removal.
    return unicodedata.normalize("NFKC", s)


def _fold(s: str | None) -> str:
    """NFKC-casefold `s` with all whitespace and invisible characters removed (idempotent)."""
    if not s:
        return ""
    if s.isascii():
        return _INVISIBLE_RE.sub("", s.lower())
    # Iterate to a fixed point so folding folded text (e.g. a query cut from search_text) is a no-op.
    for _ in range(4):
        folded = _fold_once(s)
        if folded == s:
            break
        s = folded
    return s


def normalize_query(q: str | None) -> str:
    """Normalise a search query the way search_text pieces are normalised (NFKC, casefold, no whitespace)."""
    return _fold(q)


def name_key(name: str | None) -> str:
    """Return the duplicate-check key of a customer/company name."""
    return _fold(name).translate(_BRACKETS_QUOTES)


def name_core(name: str | None) -> str:
    """Return name_key with bracketed parts removed, for "similar name" warnings."""
    key = name_key(name)
    core = key
    while True:
        stripped = _PAREN_GROUP_RE.sub("", core)
        if stripped == core:
            break
        core = stripped
    core = core.replace("(", "").replace(")", "")
    # A name that is nothing but brackets would otherwise collide with every other such name.
    return core or key.replace("(", "").replace(")", "")


_NON_DIGIT_RE = re.compile(r"[^0-9]+")
_CN_MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")


def digits(s: str | None) -> str:
    """Return only the ASCII digits of `s` after NFKC (so full-width digits count)."""
    if not s:
        return ""
    return _NON_DIGIT_RE.sub("", unicodedata.normalize("NFKC", s))


def phone_key(s: str | None) -> str:
    """Return the comparison key of a phone number: its digits, without a +86/0086/86 prefix on a mobile."""
    d = digits(s)
    for prefix in ("0086", "86"):
        rest = d[len(prefix) :]
        if d.startswith(prefix) and _CN_MOBILE_RE.fullmatch(rest):
            return rest
    return d


def phone_query_key(q: str | None) -> str:
    """The digits a typed phone search looks for: phone_key, and a part of a mobile typed after an explicit
    +86 / 0086 (+86 185 5446) loses that prefix too, as the stored mobile has none."""
    d = phone_key(q)
    typed = unicodedata.normalize("NFKC", q or "").strip()
    if typed.startswith(("+86", "0086")) and d.startswith(("861", "00861")):
        return d[d.index("86") + 2:]
    return d


_SCHEME_RE = re.compile(r"^[a-z][a-z0-9+.\-]*:/+", re.IGNORECASE)
_HOST_END_RE = re.compile(r"[/?#\\\s]")


def website_host(url: str | None) -> str:
    """Return the lower-cased host of `url` without scheme, "www.", userinfo, port, path or query."""
    if not url:
        return ""
    s = unicodedata.normalize("NFKC", url).strip()
    # Chinese IMEs produce "。" for the dot; IDNA treats it as a label separator too.
    s = s.replace("\u3002", ".")
    s = _SCHEME_RE.sub("", s).lstrip("/")
    end = _HOST_END_RE.search(s)
    if end:
        s = s[: end.start()]
    s = s.rpartition("@")[2]
    # "[v6]:port" keeps its colons inside the brackets.
    s = s[1:].partition("]")[0] if s.startswith("[") else s.partition(":")[0]
    s = s.lower().rstrip(".")
    if s.startswith("www.") and "." in s[4:]:
        s = s[4:]
    return s


# pypinyin costs ~0.3 s and ~60 MB to import, so only processes that need pinyin pay for it.
@lru_cache(maxsize=1)
def _pypinyin() -> Any:
    """Import pypinyin lazily and return (lazy_pinyin, Style, segmenter, RE_HANS)."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.constants import RE_HANS
    from pypinyin.seg.mmseg import seg

    return lazy_pinyin, Style, seg, RE_HANS


@cache
def _is_han(c: str) -> bool:
    """Whether pypinyin treats the character `c` as Chinese."""
    return _pypinyin()[3].match(c) is not None


def _alnum_lower(s: str) -> str:
    """Keep only the letters/digits of `s`, lower-cased."""
    return "".join(c for c in s if c.isalnum()).lower()


# Bounded in practice by pypinyin's dictionaries: segments are dictionary phrases or single characters.
@lru_cache(maxsize=1 << 18)
def _word_pinyin(word: str) -> tuple[str, str]:
    """Return (full pinyin, initials) of one segmented Chinese word."""
    lazy_pinyin, style, _, _ = _pypinyin()
    full = "".join(_alnum_lower(p) for p in lazy_pinyin(word, style=style.NORMAL))
    initials = "".join(_alnum_lower(p) for p in lazy_pinyin(word, style=style.FIRST_LETTER))
    return full, initials


def pinyin_keys(text: str | None) -> tuple[str, str]:
    """Return (full toneless pinyin, pinyin initials) of `text`; non-Chinese letters/digits kept lower-cased."""
    s = _fold(text)
    if s.isascii():
        plain = _alnum_lower(s)
        return plain, plain
    segmenter = _pypinyin()[2]
    full: list[str] = []
    initials: list[str] = []
    run_start = -1

    def flush(run: str) -> None:
        # Segment like lazy_pinyin does so polyphones follow its phrase dictionary (平安银行 -> yinhang),
        # but convert each segment once and cache it: converting is what makes lazy_pinyin slow.
        for word in segmenter.cut(run):
            f, i = _word_pinyin(word)
            full.append(f)
            initials.append(i)

    for pos, c in enumerate(s):
        if _is_han(c):
            if run_start < 0:
                run_start = pos
            continue
        if run_start >= 0:
            flush(s[run_start:pos])
            run_start = -1
        if c.isalnum():
            full.append(c)
            initials.append(c)
    if run_start >= 0:
        flush(s[run_start:])
    return "".join(full), "".join(initials)


def search_text(*parts: str | None) -> str:
    """Build one lower-case searchable string: each part folded, plus its pinyin and initials, joined by SEP."""
    pieces: dict[str, None] = {}
    for part in parts:
        folded = _fold(part)
        if not folded:
            continue
        pieces[folded] = None
        if not folded.isascii() and any(_is_han(c) for c in folded):
            for key in pinyin_keys(folded):
                if key:
                    pieces[key] = None
    return SEP.join(pieces)


def bigrams(text: str) -> list[str]:
    """Return the sorted distinct 2-grams of each SEP-separated piece of `text` (a 1-char piece is its own gram)."""
    grams: set[str] = set()
    for piece in text.split(SEP):
        if len(piece) == 1:
            grams.add(piece)
        else:
            grams.update(map(operator.add, piece, piece[1:]))
    return sorted(grams)


def query_bigrams(q: str | None) -> list[str]:
    """Return the sorted distinct 2-grams of the normalised query (empty if it is shorter than 2)."""
    s = normalize_query(q)
    if len(s) < 2:
        return []
    return sorted(set(map(operator.add, s, s[1:])))


USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARSET)}


def uscc_check_char(first17: str) -> str:
    """Return the GB 32100-2015 check character for the first 17 characters of a USCC."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def validate_uscc(code: str | None) -> bool:
    """Whether `code` is a well-formed 统一社会信用代码 with a correct check character."""
    if not code:
        return False
    s = _INVISIBLE_RE.sub("", unicodedata.normalize("NFKC", code)).upper()
    if len(s) != 18 or any(c not in _USCC_VALUE for c in s):
        return False
    return uscc_check_char(s[:17]) == s[17]


_CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CN_SMALL_UNITS = ("", "拾", "佰", "仟")


def _cn_below_10k(n: int) -> str:
    """Write 1 <= n < 10000 in 大写 with one 零 per inner run of zeros and none trailing."""
    out: list[str] = []
    pending_zero = False
    for power in (3, 2, 1, 0):
        d = n // 10**power % 10
        if d == 0:
            pending_zero = bool(out)
            continue
        if pending_zero:
            out.append("零")
            pending_zero = False
        out.append(_CN_DIGITS[d] + _CN_SMALL_UNITS[power])
    return "".join(out)


def _cn_integer(n: int) -> str:
    """Write 1 <= n < 10**16 in 大写 using 万/亿 sections."""
    if n >= 10**8:
        high, low = divmod(n, 10**8)
        # 零 only marks a gap: when the 千万 digit is non-zero the 亿 unit already separates them.
        glue = "零" if 0 < low < 10**7 else ""
        return _cn_integer(high) + "亿" + glue + (_cn_integer(low) if low else "")
    if n >= 10**4:
        high, low = divmod(n, 10**4)
        glue = "零" if 0 < low < 10**3 else ""
        return _cn_integer(high) + "万" + glue + (_cn_below_10k(low) if low else "")
    return _cn_below_10k(n)


_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]+")
# Format characters (Unicode Cf: zero-width spaces, bidi overrides, BOM) are invisible, so a name made of them
# looks blank and a bidi override reverses what follows. The joiners stay: emoji sequences and some scripts need
# them, but at either end they join nothing.
# Unicode 14 (Python 3.11) Cf without U+200C/U+200D; test_text checks it against unicodedata.
_FORMAT_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b\u200e-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]+")
_EDGE_RE = re.compile("^[\\s\u200c\u200d]+|[\\s\u200c\u200d]+$")


def clean_text(value: object) -> str:
    """Strip surrounding whitespace and drop control characters other than newline and tab and invisible format
    characters other than inner joiners; None -> ""."""
    if value is None:
        return ""
    s = value if isinstance(value, str) else str(value)
    # Windows/old-Mac line ends become \n rather than silently joining lines.
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    # Lone surrogates cannot be encoded to UTF-8 (PostgreSQL rejects them), so they go too.
    return _EDGE_RE.sub("", _FORMAT_RE.sub("", _CONTROL_RE.sub("", s)))
