"""The per-company cap's notion of a company: the recipient's email domain, unless it is a
free-mail provider (where two people at gmail.com are not one company).

The list is the large consumer providers (Instantly and Smartlead exempt the same kind);
`[plan] free_mail` adds more.
"""

from __future__ import annotations

from collections.abc import Iterable

FREE_MAIL = frozenset({
    "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "yahoo.co.in", "yahoo.fr",
    "yahoo.de", "yahoo.es", "yahoo.it", "ymail.com", "rocketmail.com", "hotmail.com",
    "hotmail.co.uk", "hotmail.fr", "hotmail.de", "hotmail.es", "hotmail.it", "outlook.com",
    "outlook.fr", "outlook.de", "live.com", "live.co.uk", "live.fr", "msn.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "pm.me", "gmx.com",
    "gmx.de", "gmx.net", "web.de", "t-online.de", "mail.com", "mail.ru", "yandex.com",
    "yandex.ru", "zoho.com", "zohomail.com", "qq.com", "163.com", "126.com", "sina.com",
    "naver.com", "daum.net", "rediffmail.com", "libero.it", "orange.fr", "free.fr",
    "laposte.net", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "fastmail.com", "hey.com",
    "tutanota.com", "tuta.io", "comcast.net", "verizon.net", "att.net", "btinternet.com",
    "sky.com", "bigpond.com", "shaw.ca", "rogers.com", "uol.com.br", "bol.com.br",
})


def company_of(email: str | None, extra_free: Iterable[str] = ()) -> str | None:
    """The company an address belongs to for the cap (its domain), or None if the cap
    does not apply (free mail, or no address)."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    if not domain or domain in FREE_MAIL or domain in extra_free:
        return None
    return domain
