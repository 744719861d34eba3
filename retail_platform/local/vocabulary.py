"""Small built-in word lists for the synthetic data generator (no Faker dependency).

Kept apart from the generator so the generation logic stays readable. Lists are written as
split strings so the formatter keeps them compact.
"""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    """Whitespace-separated words; "_" stands for a space inside one entry ("de_Vries")."""
    return tuple(word.replace("_", " ") for word in text.split())


FIRST_NAMES = _words(
    "Anna Ben Clara David Emma Felix Greta Hannah Jonas Julia Karl Lea Lena Lukas Marie Max "
    "Mia Noah Paul Sophie Tim Lina Elias Jana Sara Tobias Amelie Leon Nora Finn Ida Moritz "
    "Charlotte Henri Zoé Léa Chloé Hugo Louis Camille Lucas Manon Daan Sanne Bram Fleur Thijs "
    "Sem Eva Milan Oliver Amelia George Isla Harry Ava Jack Freya Jörg Björn Anaïs Jürgen"
)

LAST_NAMES = _words(
    "Schmidt Müller Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter "
    "Klein Wolf Schröder Neumann Braun Zimmermann Krüger Hofmann Hartmann Lange Gruber Huber "
    "Bauer Steiner Moser Mayer Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy "
    "Lefèvre Dupont Jansen Bakker Visser Smit Meijer Smith Jones Taylor Brown Williams Wilson "
    "Evans Davies Walker Wright Green Hall Clarke Ward Weiß Groß de_Jong de_Vries van_Dijk"
)

# Turns names into email-safe ASCII ("Müller" -> "mueller", "de Vries" -> "devries").
EMAIL_TRANSLITERATION = str.maketrans(
    {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "ß": "ss",
        "é": "e",
        "è": "e",
        "ë": "e",
        "ï": "i",
        "ç": "c",
        " ": "",
    }
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

STREET_NAMES = _words(
    "Linden Oak Maple Birch Chestnut Willow Station Market Church Mill Garden Park River Bridge "
    "Castle Harbour Meadow Rose Elm Cedar Kings Queens Baker Hill Orchard Vineyard Lake Forest"
)
STREET_KINDS = ("Street", "Road", "Lane", "Avenue", "Way", "Square", "Row")

# ISO-2 country -> (weight, (phone prefixes, subscriber digits), cities with postcode ranges).
CUSTOMER_COUNTRIES: dict[
    str, tuple[int, tuple[tuple[str, ...], int], tuple[tuple[str, int, int], ...]]
] = {
    "DE": (
        50,
        (("+49 151", "+49 152", "+49 157", "+49 160", "+49 170", "+49 176"), 7),
        (
            ("Berlin", 10115, 14199),
            ("Hamburg", 20095, 22769),
            ("München", 80331, 81929),
            ("Köln", 50667, 51149),
            ("Frankfurt am Main", 60306, 60599),
            ("Leipzig", 4103, 4357),
        ),
    ),
    "AT": (
        15,
        (("+43 664", "+43 650", "+43 676", "+43 699"), 7),
        (("Wien", 1010, 1230), ("Graz", 8010, 8054), ("Linz", 4020, 4040)),
    ),
    "NL": (
        12,
        (("+31 6",), 8),
        (("Amsterdam", 1011, 1109), ("Rotterdam", 3011, 3089), ("Utrecht", 3511, 3585)),
    ),
    "FR": (
        13,
        (("+33 6", "+33 7"), 8),
        (("Paris", 75001, 75020), ("Lyon", 69001, 69009), ("Marseille", 13001, 13016)),
    ),
    "GB": (
        10,
        (("+44 7700",), 6),  # Ofcom drama range, never a real subscriber
        (("London", 1, 20), ("Manchester", 1, 9), ("Bristol", 1, 16)),
    ),
    "CH": (
        6,
        (("+41 76", "+41 78", "+41 79"), 7),
        (("Zürich", 8001, 8099), ("Genève", 1201, 1299), ("Basel", 4001, 4059)),
    ),
    "US": (
        6,
        (("+1 212", "+1 617", "+1 312"), 7),
        (("New York", 10001, 10292), ("Boston", 2108, 2137), ("Chicago", 60601, 60661)),
    ),
}
# The storefront currency a customer of each country pays in (EUR for the rest).
COUNTRY_CURRENCIES = {"GB": "GBP", "CH": "CHF", "US": "USD"}
# Price lists: the catalog is priced in EUR, the other storefronts round from these factors.
PRICE_LIST_FACTORS = {"EUR": 1.0, "GBP": 0.86, "USD": 1.08, "CHF": 0.95}
GB_POSTCODE_AREAS = {
    "London": ("SW", "SE", "N", "E", "W", "NW"),
    "Manchester": ("M",),
    "Bristol": ("BS",),
}

# Category -> (price range in EUR, product nouns).
PRODUCT_CATEGORIES: dict[str, tuple[tuple[float, float], tuple[str, ...]]] = {
    "Kitchen": (
        (4.0, 89.0),
        _words("Mug Teapot Skillet Cutting-Board Colander Kettle Spatula"),
    ),
    "Home Decor": ((6.0, 149.0), _words("Vase Candle Cushion Mirror Lantern Throw Frame")),
    "Garden": ((3.0, 129.0), _words("Planter Trowel Hose Bird-Feeder Watering-Can Pruner")),
    "Toys": ((5.0, 59.0), _words("Puzzle Kite Building-Blocks Plush-Bear Yo-Yo Train-Set")),
    "Stationery": (
        (1.5, 39.0),
        _words("Notebook Fountain-Pen Planner Sketchbook Desk-Organiser"),
    ),
    "Apparel": (
        (9.0, 119.0),
        _words("Scarf Beanie T-Shirt Hoodie Tote-Bag Socks Rain-Jacket"),
    ),
    "Electronics": ((7.0, 199.0), _words("Headphones Power-Bank Charger Speaker Desk-Lamp")),
    "Beauty": (
        (3.5, 69.0),
        _words("Soap Hand-Cream Lip-Balm Face-Oil Bath-Salts Shampoo-Bar"),
    ),
}
PRODUCT_ADJECTIVES = _words(
    "Classic Rustic Modern Vintage Nordic Enamel Bamboo Ceramic Linen Organic Compact Deluxe "
    "Travel Woodland Coastal Heritage Urban Cosy Botanical Essential"
)
PRODUCT_COLOURS = _words(
    "Sage Navy Ivory Terracotta Charcoal Mustard Blush Forest Sand Ocean Plum Slate"
)
BRANDS = _words(
    "Lindqvist Hearthwood Nordvik Atelier-Blanc Greenleaf Brightside Tallow&Co Kestrel Moorland "
    "Pebble&Pine Solstice Ferncastle"
)

# Partner retailers; `country` is ISO-2, UCI files use the English country name (IE is "EIRE").
PARTNERS: tuple[tuple[str, str], ...] = (
    ("Harbour & Pine Ltd", "GB"),
    ("Nordlicht Handel GmbH", "DE"),
    ("Maison Clément SARL", "FR"),
    ("De Groene Winkel BV", "NL"),
    ("Alpenmarkt GmbH", "AT"),
    ("Thistle Home Ltd", "GB"),
    ("Shamrock Gifts Ltd", "IE"),
    ("Casa Solera SL", "ES"),
)
UCI_COUNTRY_NAMES = {
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "NL": "Netherlands",
    "AT": "Austria",
    "IE": "EIRE",
    "ES": "Spain",
}

REVIEW_PHRASES: dict[str, tuple[str, ...]] = {
    "negative": (
        "Arrived damaged and support was slow to answer.",
        "Much smaller than the photos suggest.",
        "Broke after two weeks of normal use.",
        "Not worth the price, sending it back.",
    ),
    "neutral": (
        "Does the job, nothing special.",
        "Decent quality but delivery took a while.",
        "Fine for the price, colour slightly different.",
    ),
    "positive": (
        "Great quality, exactly as described.",
        "Lovely product, bought a second one as a gift.",
        "Fast delivery and well packaged.",
        "Use it every day, highly recommended.",
        "Better than expected, very happy.",
    ),
}

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six")
