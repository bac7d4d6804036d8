"""Numbers said as Arabic words, in the genitive form they take after a preposition or "سنة"
("ألفين واثنين وعشرين"), and the days of a month as ordinals ("الخامس من مارس")."""

from __future__ import annotations

UNITS = ("", "واحد", "اثنين", "ثلاثة", "أربعة", "خمسة", "ستة", "سبعة", "ثمانية", "تسعة")
TEENS = (
    "عشرة",
    "أحد عشر",
    "اثني عشر",
    "ثلاثة عشر",
    "أربعة عشر",
    "خمسة عشر",
    "ستة عشر",
    "سبعة عشر",
    "ثمانية عشر",
    "تسعة عشر",
)
TENS = ("", "", "عشرين", "ثلاثين", "أربعين", "خمسين", "ستين", "سبعين", "ثمانين", "تسعين")
HUNDREDS = ("", "مائة", "مائتين", "ثلاثمائة", "أربعمائة", "خمسمائة", "ستمائة", "سبعمائة", "ثمانمائة", "تسعمائة")
THOUSANDS = (
    "",
    "ألف",
    "ألفين",
    "ثلاثة آلاف",
    "أربعة آلاف",
    "خمسة آلاف",
    "ستة آلاف",
    "سبعة آلاف",
    "ثمانية آلاف",
    "تسعة آلاف",
)
ORDINAL_UNITS = ("", "الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع")


def below_hundred(n: int) -> str:
    if n < 10:
        return UNITS[n]
    if n < 20:
        return TEENS[n - 10]
    units, tens = n % 10, TENS[n // 10]
    return f"{UNITS[units]} و{tens}" if units else tens


def cardinal(n: int) -> str:
    """Say a whole number from 1 to 9999 in words ("ألف وتسعمائة وثمانين")."""
    if not 1 <= n <= 9999:
        raise ValueError(f"cardinal says 1 to 9999, not {n}")
    parts = [THOUSANDS[n // 1000], HUNDREDS[n // 100 % 10], below_hundred(n % 100)]
    return " و".join(part for part in parts if part)


def day_of_month(n: int) -> str:
    """Say a day of a month from 2 to 31 as an ordinal ("الخامس", "الحادي والعشرين"); the first is "فاتح"."""
    if not 2 <= n <= 31:
        raise ValueError(f"day_of_month says 2 to 31, not {n}")
    if n == 10:
        return "العاشر"
    if n < 20:
        return ORDINAL_UNITS[n % 10] + (" عشر" if n > 10 else "")
    tens = "ال" + TENS[n // 10]
    return f"{ORDINAL_UNITS[n % 10]} و{tens}" if n % 10 else tens


FEMININE_UNITS = ("", "إحدى", "اثنتين", "ثلاث", "أربع", "خمس", "ست", "سبع", "ثماني", "تسع")


def minutes(n: int) -> str:
    """Say a number of minutes from 1 to 59 with its noun ("دقيقتين", "عشر دقائق", "ثلاث وعشرين دقيقة")."""
    if not 1 <= n <= 59:
        raise ValueError(f"minutes says 1 to 59, not {n}")
    if n <= 2:
        return ("دقيقة واحدة", "دقيقتين")[n - 1]
    if n <= 10:
        return f"{('عشر' if n == 10 else FEMININE_UNITS[n])} دقائق"
    if n < 20:
        return f"{'اثنتي' if n == 12 else FEMININE_UNITS[n - 10]} عشرة دقيقة"
    units, tens = n % 10, TENS[n // 10]
    return f"{FEMININE_UNITS[units]} و{tens} دقيقة" if units else f"{tens} دقيقة"
