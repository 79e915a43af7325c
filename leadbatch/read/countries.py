"""Country names and codes as exports write them, to ISO 3166 region codes.

A Country_Code cell or a country column may hold an ISO code ("IN", "UK"), a calling code
("+91") or a name in the export's language ("India", "Deutschland", "Royaume-Uni",
"Estados Unidos"). The names come from phonenumbers' own CLDR territory names (already a
dependency) in the languages whose exports leadbatch reads, plus the everyday short
forms CLDR does not list ("USA", "UK", "Holland"). Compared without case, accents,
spaces or punctuation.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import phonenumbers

LANGUAGES = ("en", "de", "fr", "es", "pt", "it", "nl")

_COMMON: dict[str, str] = {
    "usa": "US", "us": "US", "unitedstatesofamerica": "US", "america": "US", "theus": "US",
    "uk": "GB", "greatbritain": "GB", "britain": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "northernireland": "GB", "unitedkingdomofgreatbritainandnorthernireland": "GB",
    "grossbritannien": "GB", "angleterre": "GB", "inglaterra": "GB", "inghilterra": "GB",
    "engeland": "GB", "holland": "NL", "thenetherlands": "NL", "nederland": "NL",
    "uae": "AE", "southkorea": "KR", "korea": "KR", "russia": "RU", "czechrepublic": "CZ",
    "vietnam": "VN", "hongkongsar": "HK", "macausar": "MO", "ivorycoast": "CI",
    "turkey": "TR", "turkiye": "TR", "swaziland": "SZ", "burma": "MM",
    "deutschland": "DE", "brd": "DE", "schweiz": "CH",
    "suisse": "CH", "osterreich": "AT", "espana": "ES", "italia": "IT", "brasil": "BR",
    "gbr": "GB", "deu": "DE", "fra": "FR", "ind": "IN", "aus": "AU", "can": "CA",
    "esp": "ES", "ita": "IT", "nld": "NL", "bra": "BR", "mex": "MX", "che": "CH",
}
_NOT_ALNUM = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.casefold())
    return _NOT_ALNUM.sub("", "".join(c for c in folded if not unicodedata.combining(c)))


@functools.cache
def _names() -> dict[str, str]:
    # Loaded on the first name that is not a code: the table costs ~0.3 s to import.
    from phonenumbers.geodata.locale import LOCALE_DATA

    names: dict[str, str] = {}
    for region, by_language in LOCALE_DATA.items():
        for language in LANGUAGES:
            name = by_language.get(language, "")
            while name.startswith("*"):  # "*aa": the same name as that language's
                name = by_language.get(name[1:], "")
            if name:
                names.setdefault(_key(name), region)
    names.update({_key(k): v for k, v in _COMMON.items()})
    return names


@functools.lru_cache(maxsize=1024)
def country_region(text: str) -> str | None:
    """The ISO region for a country code or name ("UK" -> "GB"), or None if unknown."""
    stripped = text.strip()
    if len(stripped) == 2 and stripped.isalpha():
        code = stripped.upper()
        code = "GB" if code == "UK" else code
        if code in phonenumbers.SUPPORTED_REGIONS:
            return code
    key = _key(stripped)
    return _COMMON.get(key) or (_names().get(key) if key else None)
