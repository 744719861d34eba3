"""Customers, products, partners and reviews for the synthetic dataset (see generator.py)."""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from typing import Any

from retail_platform.local import vocabulary as vocab
from retail_platform.local.dataset import iso_utc

Record = dict[str, Any]


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A whole-second instant in [start, end)."""
    span = max(1, int((end - start).total_seconds()))
    return start + timedelta(seconds=rng.randrange(span))


def email_slug(name: str) -> str:
    return name.lower().translate(vocab.EMAIL_TRANSLITERATION)


def _unique_email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    first_slug, last_slug = email_slug(first), email_slug(last)
    local = rng.choice(
        (f"{first_slug}.{last_slug}", f"{first_slug[0]}.{last_slug}", f"{first_slug}{last_slug}")
    )
    domain = rng.choice(vocab.EMAIL_DOMAINS)
    candidate = (
        f"{local}{rng.randint(1, 99)}@{domain}" if rng.random() < 0.6 else f"{local}@{domain}"
    )
    while candidate in taken:  # collisions get a fresh number, still deterministic
        candidate = f"{local}{rng.randint(100, 9999)}@{domain}"
    taken.add(candidate)
    return candidate


def _unique_phone(rng: random.Random, country: str, taken: set[str]) -> str:
    prefixes, digits = vocab.CUSTOMER_COUNTRIES[country][1]
    while True:
        candidate = f"{rng.choice(prefixes)} {rng.randrange(10 ** (digits - 1), 10**digits)}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _address(rng: random.Random, country: str) -> Record:
    city, low, high = rng.choice(vocab.CUSTOMER_COUNTRIES[country][2])
    number = rng.randint(low, high)
    if country == "NL":
        postcode = f"{number} {rng.choice('ABCDEGHJKLNPRSTVXZ')}{rng.choice('ABCDEGHJKLNPRSTVXZ')}"
    elif country == "GB":
        area = rng.choice(vocab.GB_POSTCODE_AREAS[city])
        postcode = f"{area}{number} {rng.randint(1, 9)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}A"
    elif country in ("AT", "CH"):
        postcode = f"{number:04d}"
    else:
        postcode = f"{number:05d}"
    street = (
        f"{rng.randint(1, 180)} {rng.choice(vocab.STREET_NAMES)} {rng.choice(vocab.STREET_KINDS)}"
    )
    return {"street": street, "city": city, "postcode": postcode, "country": country}


def customers(
    rng: random.Random, count: int, window_start: datetime, window_end: datetime
) -> list[Record]:
    """MongoDB customer documents as first written (at sign-up or before the window opened);
    emails and phones unique.

    What changes during the window (tier, country, consent, soft deletes) comes from
    `customer_changes`, so that the stand-in can serve the collection as of any moment.
    """
    countries = list(vocab.CUSTOMER_COUNTRIES)
    weights = [vocab.CUSTOMER_COUNTRIES[c][0] for c in countries]
    history_start = window_start - timedelta(days=3 * 365)
    emails: set[str] = set()
    phones: set[str] = set()
    records = []
    for index in range(count):
        customer_id = f"C{index + 1:06d}"
        first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.LAST_NAMES)
        country = rng.choices(countries, weights)[0]
        # ~40% sign up during the window: a cohort of new customers every month.
        if rng.random() < 0.6:
            created = between(rng, history_start, window_start)
            updated = between(rng, created, window_start)
        else:
            created = updated = between(rng, window_start, window_end)
        birth = date(1945, 1, 1) + timedelta(days=rng.randrange(61 * 365))
        records.append(
            {
                "_id": customer_id,
                "customer_id": customer_id,
                "first_name": first,
                "last_name": last,
                "email": _unique_email(rng, first, last, emails),
                "phone": _unique_phone(rng, country, phones),
                "birth_date": birth.isoformat(),
                "address": _address(rng, country),
                "consent": {
                    "marketing": rng.random() < 0.55,
                    "updated_at": iso_utc(between(rng, created, updated)),
                },
                "loyalty_tier": rng.choices(TIERS, (55, 28, 13, 4))[0],
                "created_at": iso_utc(created),
                "updated_at": iso_utc(updated),
                "is_deleted": False,
            }
        )
    return records


TIERS = ("bronze", "silver", "gold", "platinum")


def customer_changes(
    rng: random.Random, initial: list[Record], window_start: datetime, window_end: datetime
) -> list[Record]:
    """Every later version of the customer documents, ordered by (updated_at, _id).

    Within the window ~22% change loyalty tier (mostly up), ~6% move to another country (new
    address), ~8% change marketing consent (a type-1 change) and ~0.5% are soft-deleted: the
    history gold's dim_customer keeps as SCD2 versions.
    """
    countries = list(vocab.CUSTOMER_COUNTRIES)
    deleted = set(rng.sample(range(len(initial)), max(1, round(len(initial) * 0.005))))
    versions: list[Record] = []
    for index, doc in enumerate(initial):
        events: list[tuple[datetime, str]] = []
        since = max(window_start, datetime.fromisoformat(doc["created_at"]))
        for kind, share in (("tier", 0.22), ("country", 0.06), ("consent", 0.08)):
            if rng.random() < share:
                events.append((between(rng, since, window_end), kind))
        if index in deleted:
            events.append((between(rng, since, window_end), "delete"))
        current = doc
        for at, kind in sorted(events):
            current = json.loads(json.dumps(current))  # a deep copy
            if kind == "tier":
                position = TIERS.index(current["loyalty_tier"])
                step = 1 if position == 0 or (position < 3 and rng.random() < 0.8) else -1
                current["loyalty_tier"] = TIERS[position + step]
            elif kind == "country":
                moved_to = rng.choice([c for c in countries if c != current["address"]["country"]])
                current["address"] = _address(rng, moved_to)
            elif kind == "consent":
                current["consent"] = {
                    "marketing": not current["consent"]["marketing"],
                    "updated_at": iso_utc(at),
                }
            else:
                current["is_deleted"] = True
            current["updated_at"] = iso_utc(max(at, datetime.fromisoformat(doc["updated_at"])))
            versions.append(current)
    return sorted(versions, key=lambda v: (v["updated_at"], v["_id"]))


def _price(rng: random.Random, low: float, high: float) -> float:
    whole = rng.randint(int(low), int(high))
    return round(whole + rng.choice((0.49, 0.95, 0.99, 0.99, 0.5)), 2)


def products(rng: random.Random, count: int, window_start: datetime) -> list[Record]:
    categories = list(vocab.PRODUCT_CATEGORIES)
    records = []
    for index in range(count):
        category = categories[index % len(categories)]
        (low, high), nouns = vocab.PRODUCT_CATEGORIES[category]
        noun = rng.choice(nouns).replace("-", " ")
        name = f"{rng.choice(vocab.PRODUCT_ADJECTIVES)} {noun} {rng.choice(vocab.PRODUCT_COLOURS)}"
        records.append(
            {
                "product_id": f"P{index + 1:05d}",
                "sku": f"SKU-{10001 + index}",
                "name": name,
                "category": category,
                "brand": rng.choice(vocab.BRANDS).replace("-", " "),
                "unit_price": _price(rng, low, high),
                "currency": "EUR",
                "active": rng.random() < 0.95,
                "updated_at": iso_utc(
                    between(rng, window_start - timedelta(days=400), window_start)
                ),
            }
        )
    return records


def partners(rng: random.Random) -> list[Record]:
    records = []
    for index, (name, country) in enumerate(vocab.PARTNERS):
        slug = email_slug(name.split()[0]).replace("&", "")
        onboarded = date(2023, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        records.append(
            {
                "partner_id": f"PTN{index + 1:02d}",
                "name": name,
                "country": country,
                "commission_rate": rng.choice((0.08, 0.1, 0.12, 0.15, 0.18)),
                "contact_email": f"partners@{slug}.example.com",
                "onboarded_at": onboarded.isoformat(),
            }
        )
    return records


def reviews(
    rng: random.Random,
    count: int,
    customers: list[Record],
    products: list[Record],
    window_start: datetime,
    window_end: datetime,
) -> tuple[list[Record], list[str]]:
    """MongoDB review documents and the ids of the ~3% whose text leaks PII."""
    pii_indexes = set(rng.sample(range(count), max(3, round(count * 0.03))))
    created_times = sorted(between(rng, window_start, window_end) for _ in range(count))
    records, pii_review_ids = [], []
    for index, created in enumerate(created_times):
        review_id = f"R{index + 1:06d}"
        customer = rng.choice(customers)
        rating = rng.choices((1, 2, 3, 4, 5), (5, 7, 13, 30, 45))[0]
        mood = "negative" if rating <= 2 else "neutral" if rating == 3 else "positive"
        text = " ".join(rng.sample(vocab.REVIEW_PHRASES[mood], 2))
        if index in pii_indexes:
            pii_review_ids.append(review_id)
            text += rng.choice(
                (
                    f" Questions? Write to me at {customer['email']}.",
                    f" Call me on {customer['phone']} if you need details.",
                    " I paid with card 4111 1111 1111 1111 and was charged twice.",
                )
            )
        updated = created
        if rng.random() < 0.1:  # some reviews get edited, but never after the window
            updated = min(
                created + timedelta(minutes=rng.randint(30, 3 * 1440)),
                window_end - timedelta(seconds=1),
            )
        records.append(
            {
                "_id": review_id,
                "review_id": review_id,
                "customer_id": customer["customer_id"],
                "product_id": rng.choice(products)["product_id"],
                "rating": rating,
                "text": text,
                "created_at": iso_utc(created),
                "updated_at": iso_utc(max(updated, created)),
            }
        )
    return records, pii_review_ids
