"""How many SMS segments a text takes: GSM-7 when every character allows it, UCS-2 otherwise."""

from __future__ import annotations

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each of these takes two septets: the escape character, then the character itself.
GSM7_EXTENSION = set("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    """Tell whether a text can be sent in the GSM-7 alphabet (basic and extension tables)."""
    return all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text)


def _units(text: str, gsm7: bool) -> list[int]:
    """Return the size of each character in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if gsm7:
        return [2 if c in GSM7_EXTENSION else 1 for c in text]
    return [len(c.encode("utf-16-le")) // 2 for c in text]


def _count_parts(units: list[int], single: int, part: int) -> int:
    if sum(units) <= single:
        return 1
    parts, used = 1, 0
    for size in units:  # a character (escape + char, surrogate pair) is never split across parts
        if used + size > part:
            parts, used = parts + 1, 0
        used += size
    return parts


def sms_segments(body: str) -> tuple[str, int]:
    """Return the encoding ("GSM-7" or "UCS-2") and number of segments of an SMS body."""
    if is_gsm7(body):
        return "GSM-7", _count_parts(_units(body, True), GSM7_SINGLE, GSM7_PART)
    return "UCS-2", _count_parts(_units(body, False), UCS2_SINGLE, UCS2_PART)
