"""Demo names, email addresses and European license plates."""

import random
import string
import unicodedata

FIRST_NAMES = (
    "Anna",
    "Lukas",
    "Sofia",
    "Jonas",
    "Emma",
    "Noah",
    "Mia",
    "Elias",
    "Léa",
    "Hugo",
    "Chloé",
    "Louis",
    "Giulia",
    "Marco",
    "Francesca",
    "Luca",
    "Lucía",
    "Mateo",
    "Carmen",
    "Javier",
    "Zofia",
    "Jakub",
    "Łukasz",
    "Agnieszka",
    "Sanne",
    "Daan",
    "Fleur",
    "Sem",
    "Astrid",
    "Erik",
    "Freja",
    "Oskar",
    "Ingrid",
    "Mikkel",
    "Siobhan",
    "Liam",
    "Aoife",
    "Seán",
    "Olivia",
    "Harry",
    "Amélie",
    "Jürgen",
    "Zoë",
    "Ana",
    "João",
    "Inês",
    "Tomás",
    "Eva",
    "Petr",
    "Kateřina",
    "Ádám",
    "Réka",
    "Mehmet",
    "Elif",
    "Yusuf",
    "Nina",
    "Stefan",
    "Marta",
    "Björn",
    "Saoirse",
)
LAST_NAMES = (
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Rossi",
    "Russo",
    "Bianchi",
    "Romano",
    "García",
    "Fernández",
    "López",
    "Martínez",
    "Nowak",
    "Kowalski",
    "Wiśniewska",
    "de Jong",
    "Jansen",
    "van den Berg",
    "Bakker",
    "Andersson",
    "Johansson",
    "Nielsen",
    "Hansen",
    "Jensen",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Smith",
    "Jones",
    "Williams",
    "Peeters",
    "Janssens",
    "Maes",
    "Silva",
    "Santos",
    "Ferreira",
    "Novák",
    "Dvořák",
    "Nagy",
    "Kovács",
    "Yılmaz",
    "Kaya",
    "Horvat",
    "Popescu",
    "Ionescu",
    "Papadopoulos",
    "Virtanen",
    "Korhonen",
    "Gruber",
    "Huber",
    "Meier",
    "Keller",
    "Schäfer",
    "Zimmermann",
    "Lambert",
)
DOMAINS = ("example.com", "example.org", "example.net", "fleet.example", "mail.example", "depot.example")

LETTERS = string.ascii_uppercase
# Spain's plates skip vowels and Q; the UK's skip I, Q and Z in places. Close enough for demo data.
ES_LETTERS = "BCDFGHJKLMNPRSTVWXYZ"
DE_CITIES = ("B", "M", "HH", "K", "F", "S", "D", "HB", "DO", "E", "L", "DD", "N", "H", "KA", "MZ")
IT_PL_CH = {"PL": ("WA", "KR", "PO", "GD", "WR", "LU"), "CH": ("ZH", "BE", "GE", "VD", "AG", "TI")}


def _l(rng: random.Random, n: int, alphabet: str = LETTERS) -> str:
    """Return n random letters."""
    return "".join(rng.choice(alphabet) for _ in range(n))


def _d(rng: random.Random, n: int) -> str:
    """Return n random digits (no leading zero when n > 1)."""
    first = str(rng.randint(1, 9)) if n > 1 else str(rng.randint(0, 9))
    return first + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def _de(rng: random.Random) -> str:
    """Return a German plate; EVs may carry the E suffix."""
    suffix = "E" if rng.random() < 0.6 else ""
    return f"{rng.choice(DE_CITIES)}-{_l(rng, rng.randint(1, 2))} {_d(rng, rng.randint(2, 4))}{suffix}"


PLATES = (
    ("DE", 30, _de),
    ("FR", 15, lambda r: f"{_l(r, 2)}-{_d(r, 3)}-{_l(r, 2)}"),
    ("NL", 12, lambda r: r.choice((f"{_l(r, 2)}-{_d(r, 3)}-{_l(r, 1)}", f"{_d(r, 1)}-{_l(r, 3)}-{_d(r, 2)}"))),
    ("BE", 6, lambda r: f"{r.randint(1, 2)}-{_l(r, 3)}-{_d(r, 3)}"),
    ("IT", 8, lambda r: f"{_l(r, 2)} {_d(r, 3)} {_l(r, 2)}"),
    ("ES", 8, lambda r: f"{_d(r, 4)} {_l(r, 3, ES_LETTERS)}"),
    ("PL", 6, lambda r: f"{r.choice(IT_PL_CH['PL'])} {_d(r, 5)}"),
    ("UK", 5, lambda r: f"{_l(r, 2)}{r.randint(10, 74)} {_l(r, 3)}"),
    ("SE", 4, lambda r: f"{_l(r, 3)} {_d(r, 2)}{_l(r, 1)}"),
    ("CH", 3, lambda r: f"{r.choice(IT_PL_CH['CH'])} {_d(r, 6)}"),
    ("DK", 3, lambda r: f"{_l(r, 2)} {_d(r, 2)} {_d(r, 3)}"),
)
_PLATE_MAKERS = [maker for _, _, maker in PLATES]
_PLATE_WEIGHTS = [weight for _, weight, _ in PLATES]


def plate_key(shown: str) -> str:
    """Return the comparison key of a plate, as services.vehicles.normalize_plate computes it."""
    return "".join(c for c in shown if c.isalnum())


def new_plate(rng: random.Random, taken: set[str], keep: bool = True) -> tuple[str, str]:
    """Return a plate (shown, key) whose key is not in `taken`, and add the key there when `keep`."""
    while True:
        shown = rng.choices(_PLATE_MAKERS, weights=_PLATE_WEIGHTS)[0](rng)
        key = plate_key(shown)
        if key not in taken:
            if keep:
                taken.add(key)
            return shown, key


def _ascii(text: str) -> str:
    """Return text folded to lower-case ASCII letters for an email address."""
    folded = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded.lower() if c.isascii() and c.isalnum())


def new_person(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """Return a (name, email) whose email is not in `taken`, and add the email there."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    local = f"{_ascii(first)}.{_ascii(last)}"
    domain = rng.choice(DOMAINS)
    email, n = f"{local}@{domain}", 1
    while email in taken:
        n += 1 if n < 10 else rng.randint(1, 97)
        email = f"{local}{n}@{domain}"
    taken.add(email)
    return f"{first} {last}", email
