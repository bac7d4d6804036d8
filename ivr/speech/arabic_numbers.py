"""Numbers said as Arabic words, in the genitive form they take after a preposition or "سنة"
("ألفين واثنين وعشرين"), and the days of a month as ordinals ("الخامس من مارس").

The words are written fully vocalised, as the synthesiser reads them (vocalised=True); the plain text of
<Say> and of the SMS is the same words with their diacritics stripped, so the two cannot drift apart."""

from __future__ import annotations

from ivr.speech.catalog import spelled_for_synthesis, strip_diacritics

AND = " وَ"
UNITS = ("", "وَاحِدٍ", "اثْنَيْنِ", "ثَلَاثَةٍ", "أَرْبَعَةٍ", "خَمْسَةٍ", "سِتَّةٍ", "سَبْعَةٍ", "ثَمَانِيَةٍ", "تِسْعَةٍ")
TEENS = (
    "عَشَرَةٍ",
    "أَحَدَ عَشَرَ",
    "اثْنَيْ عَشَرَ",
    "ثَلَاثَةَ عَشَرَ",
    "أَرْبَعَةَ عَشَرَ",
    "خَمْسَةَ عَشَرَ",
    "سِتَّةَ عَشَرَ",
    "سَبْعَةَ عَشَرَ",
    "ثَمَانِيَةَ عَشَرَ",
    "تِسْعَةَ عَشَرَ",
)
TENS = ("", "", "عِشْرِينَ", "ثَلَاثِينَ", "أَرْبَعِينَ", "خَمْسِينَ", "سِتِّينَ", "سَبْعِينَ", "ثَمَانِينَ", "تِسْعِينَ")
HUNDREDS = (
    "",
    "مِائَةٍ",
    "مِائَتَيْنِ",
    "ثَلَاثِمِائَةٍ",
    "أَرْبَعِمِائَةٍ",
    "خَمْسِمِائَةٍ",
    "سِتِّمِائَةٍ",
    "سَبْعِمِائَةٍ",
    "ثَمَانِمِائَةٍ",
    "تِسْعِمِائَةٍ",
)
THOUSANDS = (
    "",
    "أَلْفٍ",
    "أَلْفَيْنِ",
    "ثَلَاثَةِ آلَافٍ",
    "أَرْبَعَةِ آلَافٍ",
    "خَمْسَةِ آلَافٍ",
    "سِتَّةِ آلَافٍ",
    "سَبْعَةِ آلَافٍ",
    "ثَمَانِيَةِ آلَافٍ",
    "تِسْعَةِ آلَافٍ",
)
# Ordinals of the days, in the genitive ("ابتداء من الخامسِ من مارس"); before "عشر" they end in a fatha.
ORDINAL_UNITS = (
    "",
    "الْحَادِي",
    "الثَّانِي",
    "الثَّالِثِ",
    "الرَّابِعِ",
    "الْخَامِسِ",
    "السَّادِسِ",
    "السَّابِعِ",
    "الثَّامِنِ",
    "التَّاسِعِ",
)
ORDINAL_TEEN_UNITS = (
    "",
    "الْحَادِيَ",
    "الثَّانِيَ",
    "الثَّالِثَ",
    "الرَّابِعَ",
    "الْخَامِسَ",
    "السَّادِسَ",
    "السَّابِعَ",
    "الثَّامِنَ",
    "التَّاسِعَ",
)
ORDINAL_TENS = ("", "", "الْعِشْرِينَ", "الثَّلَاثِينَ")
# Feminine numbers counting minutes (دقيقة): 3 to 10 in construct before "دقائق", 11 to 19 on a fatha before
# "عشرة دقيقةً", and with tanwin before "وعشرين".
FEMININE_CONSTRUCT = ("", "", "", "ثَلَاثِ", "أَرْبَعِ", "خَمْسِ", "سِتِّ", "سَبْعِ", "ثَمَانِي", "تِسْعِ", "عَشْرِ")
FEMININE_TEEN_UNITS = ("", "إِحْدَى", "اثْنَتَيْ", "ثَلَاثَ", "أَرْبَعَ", "خَمْسَ", "سِتَّ", "سَبْعَ", "ثَمَانِيَ", "تِسْعَ")
FEMININE_UNITS = ("", "إِحْدَى", "اثْنَتَيْنِ", "ثَلَاثٍ", "أَرْبَعٍ", "خَمْسٍ", "سِتٍّ", "سَبْعٍ", "ثَمَانِي", "تِسْعٍ")


def written(words: str, vocalised: bool) -> str:
    """Return vocalised words as the synthesiser reads them, or stripped to the plain text."""
    return spelled_for_synthesis(words) if vocalised else strip_diacritics(words)


def below_hundred(n: int) -> str:
    if n < 10:
        return UNITS[n]
    if n < 20:
        return TEENS[n - 10]
    units, tens = n % 10, TENS[n // 10]
    return f"{UNITS[units]}{AND}{tens}" if units else tens


def cardinal(n: int, vocalised: bool = False) -> str:
    """Say a whole number from 1 to 9999 in words ("ألف وتسعمائة وثمانين")."""
    if not 1 <= n <= 9999:
        raise ValueError(f"cardinal says 1 to 9999, not {n}")
    parts = [THOUSANDS[n // 1000], HUNDREDS[n // 100 % 10], below_hundred(n % 100)]
    return written(AND.join(part for part in parts if part), vocalised)


def day_of_month(n: int, vocalised: bool = False) -> str:
    """Say a day of a month from 2 to 31 as an ordinal ("الخامس", "الحادي والعشرين"); the first is "فاتح"."""
    if not 2 <= n <= 31:
        raise ValueError(f"day_of_month says 2 to 31, not {n}")
    if n == 10:
        words = "الْعَاشِرِ"
    elif n < 10:
        words = ORDINAL_UNITS[n]
    elif n < 20:
        words = f"{ORDINAL_TEEN_UNITS[n % 10]} عَشَرَ"
    else:
        tens = ORDINAL_TENS[n // 10]
        words = f"{ORDINAL_UNITS[n % 10]}{AND}{tens}" if n % 10 else tens
    return written(words, vocalised)


def minutes(n: int, vocalised: bool = False) -> str:
    """Say a number of minutes from 1 to 59 with its noun ("دقيقتين", "عشر دقائق", "ثلاث وعشرين دقيقة")."""
    if not 1 <= n <= 59:
        raise ValueError(f"minutes says 1 to 59, not {n}")
    if n <= 2:
        words = ("دَقِيقَةٍ وَاحِدَةٍ", "دَقِيقَتَيْنِ")[n - 1]
    elif n <= 10:
        words = f"{FEMININE_CONSTRUCT[n]} دَقَائِقَ"
    elif n < 20:
        words = f"{FEMININE_TEEN_UNITS[n - 10]} عَشْرَةَ دَقِيقَةً"
    else:
        units, tens = n % 10, TENS[n // 10]
        words = f"{FEMININE_UNITS[units]}{AND}{tens} دَقِيقَةً" if units else f"{tens} دَقِيقَةً"
    return written(words, vocalised)
