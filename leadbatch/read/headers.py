"""Which column is which: a sheet's headers, as CRMs and sheets write them, to lead fields.

Headers are compared without case, accents, spaces or punctuation. On top of the aliases:
- an explicit mapping (`[columns]` in leadbatch.toml, `--map "Work e-mail=email"`) wins;
- object prefixes ("Person - Email", "Lead.Email", "Contact Email") and qualifiers
  ("Email - Work", "Work Email", "E-Mail (privat)", "Email 2") are understood;
- the headers of German, French, Spanish, Portuguese, Italian and Dutch exports;
- a specific column wins over a general one: a first name over a full name, which is
  split into first and last name only when there is no first name column;
- several email (or phone) columns: each row uses the first non-blank one; the others
  are kept as custom fields.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from pydantic.alias_generators import to_camel

_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "contactname", "nom", "naam", "nombre", "leadname", "personname"),
    "first_name": ("firstname", "first", "fname", "givenname", "forename", "vorname",
                   "prenom", "nome", "primeironome", "voornaam", "nombredepila"),
    "full_name": ("fullname", "nomecompleto", "nombrecompleto", "nomcomplet",
                  "vollstandigername", "volledigenaam", "nominativo"),
    "last_name": ("lastname", "surname", "last", "lname", "familyname", "nachname",
                  "familienname", "nomdefamille", "apellido", "apellidos", "sobrenome",
                  "apelido", "cognome", "achternaam"),
    "email": ("email", "emailaddress", "emailid", "mail", "mailid", "emailadresse",
              "adresseemail", "adressemail", "courriel", "correo", "correoelectronico",
              "enderecodeemail", "indirizzoemail", "emailadres", "posta", "postaelettronica"),
    "phone": ("phone", "phonenumber", "phoneno", "mobile", "mobilenumber", "mobilephone",
              "mobilephonenumber", "mobileno", "telephone", "tel", "cellphone", "cell",
              "contactnumber", "telefon", "telefonnummer", "handy", "mobil", "mobiltelefon",
              "telephoneportable", "portable", "telefono", "movil", "celular", "telemovel",
              "telefone", "cellulare", "telefoonnummer", "mobiel", "mobielnummer"),
    "country_code": ("countrycode", "phonecountrycode", "dialcode", "isdcode"),
    "country": ("country", "countryregion", "mailingcountry", "billingcountry",
                "countryname", "land", "pays", "pais", "paese", "nation"),
    "assistant_email": ("assistant", "assistantemail", "assistantemailid",
                        "assistantemailaddress", "assistantname"),
    "schedule_id": ("scheduleid", "sequenceid"),
    "schedule_name": ("schedulename", "schedule", "sequence", "sequencename"),
    "send_date": ("senddate", "sendingdate", "sendon", "startemailsendingdate",
                  "emailsendingdate", "versanddatum", "sendedatum", "datedenvoi",
                  "fechadeenvio", "datadeenvio", "datadiinvio", "verzenddatum"),
    "action": ("action",),
    "id": ("id", "leadid"),
    "source": ("source", "leadsource"),
    "context": ("context",),
    "additional_information_line": ("additionalinformationline", "additionalinformation",
                                    "additionalinfo"),
}
HEADER_FIELDS: Final[dict[str, str]] = {
    alias: fieldname for fieldname, aliases in _ALIASES.items() for alias in aliases
}
# "Person - First name" (Pipedrive), "Lead.Email" (Salesforce), "Contact Email" (HubSpot).
_PREFIXES: Final = ("person", "lead", "contact", "prospect", "people", "primary")
# "Email - Work", "Work Email", "E-Mail (privat)", "Email 2", "Mobile Phone Number".
_QUALIFIERS: Final = ("work", "business", "office", "personal", "private", "privat", "home",
                      "primary", "secondary", "other", "main", "direct", "corporate",
                      "professional", "pro", "perso", "address", "number", "first",
                      "mobile", "cell", "landline", "geschaftlich", "arbeit", "travail")
_MULTI: Final = frozenset({"email", "phone"})
# Fields two columns would make ambiguous (which date? which assistant?): the file stops.
SINGLE_COLUMN_FIELDS: Final = frozenset(
    {"name", "first_name", "full_name", "assistant_email", "schedule_id", "schedule_name",
     "send_date", "action", "id", "country_code", "last_name", "country"}
)
# What `--map` and `[columns]` may name (the API's and the contract's names, any case).
MAP_TARGETS: Final[dict[str, str]] = {
    **{_k: f for f in _ALIASES for _k in (f.replace("_", ""), to_camel(f).lower())},
    "sequence": "schedule_name", "assistant": "assistant_email", "custom": "custom",
    "ignore": "ignore",
}
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalize_header(header: str) -> str:
    """Header text compared ignoring case, accents, spaces and punctuation."""
    folded = unicodedata.normalize("NFKD", header.casefold())
    if not folded.isascii():
        folded = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_ALNUM.sub("", folded)


def field_for_header(header: str) -> str:
    """The field a header means alone in a sheet: a Lead field, "full_name",
    "country_code", "country", or "custom" (beside others, see `map_columns`)."""
    found = category(header)
    return "name" if found == "first_name" else found


def category(header: str) -> str:
    """What a header says by itself: a Lead field, "first_name" (a specific name column),
    "full_name", "country_code", "country", or "custom"."""
    key = normalize_header(header)
    found = HEADER_FIELDS.get(key)
    if found is not None:
        return found
    for prefix in _PREFIXES:
        if key.startswith(prefix) and (found := HEADER_FIELDS.get(key[len(prefix):])):
            return found
    return _qualified(key)


def _qualified(key: str) -> str:
    # Strip qualifiers (and numbers) from either end; only email and phone take them, so
    # "Email Status" or "Email Opt Out" stay custom fields.
    for prefix in ("", *_PREFIXES):
        rest = key.removeprefix(prefix) if prefix else key
        changed = True
        while rest and changed:
            changed = False
            stripped = rest.rstrip("0123456789")
            if stripped != rest:
                rest, changed = stripped, True
            for q in _QUALIFIERS:
                if rest.startswith(q) and len(rest) > len(q):
                    rest, changed = rest[len(q):], True
                if rest.endswith(q) and len(rest) > len(q):
                    rest, changed = rest[:-len(q)], True
            found = HEADER_FIELDS.get(rest)
            if found in _MULTI:
                return found
    return "custom"


@dataclass
class Columns:
    """How a sheet's columns map: `fields` header -> field ("custom" and "ignore" too);
    `email` and `phone` every column of that kind in sheet order; `notes` what a user
    should know about the choices made."""

    fields: dict[str, str]
    email: list[str] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def column(self, fieldname: str) -> str | None:
        return next((h for h, f in self.fields.items() if f == fieldname), None)


class ColumnError(ValueError):
    """The header row cannot be used (no email column, two send-date columns...)."""


def map_columns(names: Sequence[str], bases: Sequence[str], unnamed: set[str],
                explicit: Mapping[str, str]) -> Columns:
    """Map each header (`names` unique, `bases` their texts) to a field. `explicit` maps
    normalised header texts to fields (from --map / [columns])."""
    raw: dict[str, str] = {}
    for name, base in zip(names, bases, strict=True):
        if name in unnamed:
            raw[name] = "custom"
            continue
        key = normalize_header(base)
        raw[name] = explicit.get(normalize_header(name)) or explicit.get(key) or category(base)
    columns = Columns({})
    first_of: dict[str, str] = {}
    for name in names:
        target = raw[name]
        if target in _MULTI:
            getattr(columns, target).append(name)
            if target in first_of:
                target = "custom"  # kept as is; used when the first is blank (see Columns)
        elif target in first_of and target in SINGLE_COLUMN_FIELDS:
            raise ColumnError(f'columns "{first_of[target]}" and "{name}" both mean '
                              f"{_label(target)}: delete or rename one, or map one with "
                              f'--map "{name}=custom"')
        elif target in first_of:
            target = "custom"
        first_of.setdefault(target, name)
        columns.fields[name] = target
    _names(columns, first_of)
    return columns


def _names(columns: Columns, first_of: dict[str, str]) -> None:
    """A specific name column wins over a general one; a full name is split only when
    nothing says the first name."""
    fields, notes = columns.fields, columns.notes
    first, generic, full = first_of.get("first_name"), first_of.get("name"), first_of.get("full_name")
    if first is not None:
        fields[first] = "name"
        if generic is not None:
            # "Vorname" + "Name", "Prénom" + "Nom": the general one is the family name.
            if "last_name" not in first_of and normalize_header(generic) in ("nom", "name", "naam"):
                fields[generic] = "last_name"
                notes.append(f'"{generic}" is read as the last name ("{first}" is the first name)')
            else:
                fields[generic] = "custom"
        if full is not None:
            fields[full] = "custom"
            notes.append(f'"{full}" is kept as a custom field: "{first}" is the first name')
    elif generic is None and full is not None:
        fields[full] = "full_name"
        notes.append(f'"{full}" is split into the first name and the last name')
    elif full is not None:
        fields[full] = "custom"
    if not columns.email or ("name" not in fields.values() and "full_name" not in fields.values()):
        missing = [m for m, ok in (("email", columns.email),
                                   ("name", "name" in fields.values()
                                    or "full_name" in fields.values())) if not ok]
        hints = {"email": '"Email" or "Email_ID"', "name": '"Name" or "First_Name"'}
        shown = ", ".join(h for h, f in fields.items() if not h.startswith("column ")) or "nothing"
        raise ColumnError(
            f"no {' or '.join(missing)} column (call it "
            f"{' and '.join(hints[m] for m in missing)}, or map one with "
            f'--map "HEADER={missing[0]}"; the header row has: {shown})')


def _label(fieldname: str) -> str:
    return "the country code" if fieldname == "country_code" else to_camel(fieldname)


def parse_mapping(pairs: Sequence[str] | Mapping[str, str], where: str) -> dict[str, str]:
    """`--map "Header=field"` items (or a [columns] table) as normalised header -> field.
    ValueError naming `where` and the item for a field leadbatch does not know."""
    items = pairs.items() if isinstance(pairs, Mapping) else [_split(p, where) for p in pairs]
    mapping: dict[str, str] = {}
    for header, target in items:
        fieldname = MAP_TARGETS.get(normalize_header(str(target)))
        if fieldname is None:
            known = "email, name, firstName, lastName, fullName, phone, countryCode, country, "
            raise ValueError(f"{where}: {header!r} = {target!r}: unknown field (use {known}"
                             "assistant, sequence, scheduleId, sendDate, action, id, source, "
                             "context, additionalInformationLine, custom or ignore)")
        mapping[normalize_header(str(header))] = fieldname
    return mapping


def _split(pair: str, where: str) -> tuple[str, str]:
    header, sep, target = pair.rpartition("=")
    if not sep or not header.strip():
        raise ValueError(f'{where}: {pair!r} is not "HEADER=field"')
    return header.strip(), target.strip()
