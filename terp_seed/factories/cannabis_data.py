"""Reference data for the cannabis provider: strains, catalogue, parties, places.

Everything here is immutable (tuples and read-only mappings) so no run can change what the next
run draws from. The values follow TERP's own seed scripts (see terp-schema.md, "Real value
conventions"): path A is ``scripts/generators/*``, path B is ``scripts/seed/``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# strains.category as TERP's app writes it: lower case (server/routers/strains.ts:28, :105).
INDICA = "indica"
SATIVA = "sativa"
HYBRID = "hybrid"
STRAIN_CATEGORIES: tuple[str, ...] = (INDICA, SATIVA, HYBRID)

# 78 names, like A's strains.ts: 32 hybrid, 24 indica, 22 sativa (common dispensary labels).
_HYBRIDS = (
    "Blue Dream", "OG Kush", "Girl Scout Cookies", "Gelato", "Wedding Cake", "Gorilla Glue #4",
    "White Widow", "Pineapple Express", "Runtz", "Sunset Sherbet", "Chemdawg", "Headband",
    "Bruce Banner", "Mimosa", "Gary Payton", "Miracle Alien Cookies", "Biscotti",
    "Apple Fritter", "Cereal Milk", "White Runtz", "London Pound Cake", "Banana Kush",
    "Animal Cookies", "Do-Si-Dos", "Cherry Pie", "Lemon Cherry Gelato", "Fire OG", "Tahoe OG",
    "Strawberry Banana", "Jealousy", "Cookies and Cream", "Sundae Driver",
)  # fmt: skip
_INDICAS = (
    "Granddaddy Purple", "Northern Lights", "Purple Punch", "Bubba Kush", "Ice Cream Cake",
    "Zkittlez", "Hindu Kush", "Afghan Kush", "Purple Kush", "Master Kush", "Blueberry",
    "Skywalker OG", "Kosher Kush", "Platinum OG", "Grape Ape", "9 Pound Hammer",
    "Blackberry Kush", "Critical Mass", "Death Star", "Purple Urkle", "Mendo Breath",
    "Triangle Kush", "G13", "Forbidden Fruit",
)  # fmt: skip
_SATIVAS = (
    "Sour Diesel", "Jack Herer", "Green Crack", "Durban Poison", "Super Lemon Haze",
    "Strawberry Cough", "Maui Wowie", "Tangie", "Super Silver Haze", "Trainwreck",
    "Ghost Train Haze", "Harlequin", "Candyland", "Acapulco Gold", "Lamb's Bread",
    "Amnesia Haze", "Chocolope", "Clementine", "Purple Haze", "Cinex", "Panama Red",
    "Tropicana Cookies",
)  # fmt: skip

STRAIN_CATALOGUE: tuple[tuple[str, str], ...] = (
    tuple((n, HYBRID) for n in _HYBRIDS)
    + tuple((n, INDICA) for n in _INDICAS)
    + tuple((n, SATIVA) for n in _SATIVAS)
)

# TERP's default categories and subcategories, verbatim and in TERP's order
# (server/services/seedDefaults.ts:175-220): (category NAME, uomSellable of its products,
# subcategory NAMEs). products.category and products.subcategory store these names, not ids.
FLOWER = "Flower"
MANUFACTURED = "Manufactured Products"
CATEGORIES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        FLOWER,
        "LB",
        (
            "Tops/Colas", "Smalls/Popcorn", "Trim", "Shake", "Larf", "Machine Trim",
            "Hand Trim", "Outdoor", "Deps", "Indoor",
        ),
    ),
    (
        "Concentrates",
        "G",
        ("Shatter", "Wax", "Live Resin", "Rosin", "Diamonds", "Distillate", "Crumble", "Budder"),
    ),
    ("Edibles", "EA", ("Gummies", "Chocolates", "Beverages", "Baked Goods")),
    ("Vapes", "EA", ("Cartridge", "All in One")),
    ("Bulk Oil", "G", ()),
    (MANUFACTURED, "EA", ("Preroll", "Edible", "Tincture", "Topical", "Accessory")),
)  # fmt: skip
# What the distributor sells, per category: the subcategories its products are drawn from.
# Pre-rolls are TERP's "Manufactured Products" / "Preroll"; no product is bulk oil.
PRODUCT_LINES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        FLOWER: ("Tops/Colas", "Smalls/Popcorn", "Shake", "Trim"),
        "Concentrates": CATEGORIES[1][2],
        "Edibles": CATEGORIES[2][2],
        "Vapes": CATEGORIES[3][2],
        MANUFACTURED: ("Preroll",),
    }
)
# TERP's defaults have no category descriptions (seedDefaults.ts:226-228 inserts the name only).
CATEGORY_DESCRIPTIONS: Mapping[str, str] = MappingProxyType({})
# B writes 90% flower; the rest is spread evenly over the other categories sold.
CATEGORY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        FLOWER: 0.90,
        "Concentrates": 0.025,
        "Edibles": 0.025,
        "Vapes": 0.025,
        "Bulk Oil": 0.0,
        MANUFACTURED: 0.025,
    }
)

# TERP's default grades, verbatim (server/services/seedDefaults.ts:303-308): A is top shelf.
GRADES: tuple[str, ...] = ("A", "B", "C", "D")
GRADE_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "A": "Top shelf quality",
        "B": "Mid-tier quality",
        "C": "Budget quality",
        "D": "Economy quality",
    }
)
GROW_TYPES: tuple[str, ...] = ("Indoor", "Greenhouse", "Outdoor")
# Path A's flower unitCogs base in $/lb (each drawn +-10%).
FLOWER_COGS_PER_LB: Mapping[str, int] = MappingProxyType(
    {"Indoor": 1800, "Greenhouse": 1200, "Outdoor": 800}
)
NON_FLOWER_COGS_BASE = 50  # path A: $50 per unit, +-20%

# Potency ranges (% by weight) per category. Edibles are dosed in mg, so by weight they are low.
THC_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        FLOWER: (15.0, 32.0),
        "Concentrates": (60.0, 90.0),
        "Edibles": (0.1, 1.0),
        "Vapes": (70.0, 95.0),
        "Bulk Oil": (75.0, 95.0),
        MANUFACTURED: (15.0, 40.0),
    }
)
CBD_RANGES: Mapping[str, tuple[float, float]] = MappingProxyType(
    {
        FLOWER: (0.01, 1.5),
        "Concentrates": (0.1, 4.0),
        "Edibles": (0.0, 0.5),
        "Vapes": (0.1, 3.0),
        "Bulk Oil": (0.1, 4.0),
        MANUFACTURED: (0.01, 1.5),
    }
)

# Non-flower product naming: subcategory -> (noun in the name, pack size).
NON_FLOWER_NAMING: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "Shatter": ("Shatter", "1g"),
        "Wax": ("Wax", "1g"),
        "Live Resin": ("Live Resin", "1g"),
        "Rosin": ("Live Rosin", "1g"),
        "Diamonds": ("THCa Diamonds", "1g"),
        "Distillate": ("Distillate", "1g"),
        "Crumble": ("Crumble", "1g"),
        "Budder": ("Budder", "1g"),
        "Gummies": ("Gummies", "10pk"),
        "Chocolates": ("Chocolate Bar", "100mg"),
        "Baked Goods": ("Brownies", "2pk"),
        "Beverages": ("Sparkling Tonic", "12oz"),
        "Cartridge": ("Cartridge", "1g"),
        "All in One": ("All-in-One Vape", "0.5g"),
        "Preroll": ("Pre-Roll", "1g"),
        "Edible": ("Infused Edible", "10pk"),
        "Tincture": ("Tincture", "30ml"),
        "Topical": ("Topical Balm", "2oz"),
        "Accessory": ("Accessory", ""),
    }
)

# Path A buyers: <prefix> <middle> [LLC/Inc/Co/Corp]; "" is the no-suffix case.
BUYER_PREFIXES: tuple[str, ...] = (
    "Green", "Emerald", "Golden", "Pacific", "Coastal",
    "Sierra", "Redwood", "Sunset", "Harbor", "Mountain",
)  # fmt: skip
BUYER_MIDDLES: tuple[str, ...] = (
    "Valley Collective", "Gardens", "Farms", "Wellness Center", "Dispensary",
    "Health Collective", "Leaf Supply", "Remedies", "Botanicals", "Provisions",
)  # fmt: skip
LEGAL_SUFFIXES: tuple[str, ...] = ("LLC", "Inc", "Co", "Corp", "")
# Path B buyers: <city|adjective|last name> <suffix>.
RETAIL_SUFFIXES: tuple[str, ...] = (
    "Dispensary", "Cannabis Co", "Wellness", "Collective", "Apothecary",
    "Green House", "Remedies", "Health Center", "Cannabis Club", "Provisions",
)  # fmt: skip
RETAIL_ADJECTIVES: tuple[str, ...] = (
    "Elevated", "Golden State", "Higher Ground", "Natural", "Evergreen",
    "Coastal", "Blue Sky", "Bright Leaf", "Western", "True North",
)  # fmt: skip
RETAIL_SURNAMES: tuple[str, ...] = (
    "Alvarez", "Bennett", "Chen", "Delgado", "Foster", "Garcia", "Hayes", "Kim",
    "Morales", "Nguyen", "Patel", "Reyes", "Sullivan", "Tran", "Walker",
)  # fmt: skip
# Path B's 15 supplier names (A uses the first 8).
SUPPLIERS: tuple[str, ...] = (
    "NorCal Farms", "Emerald Triangle Growers", "Humboldt Harvest Co", "Mendocino Green",
    "Sonoma Cultivators", "Trinity Alps Farms", "Salinas Valley Greenhouses",
    "Santa Cruz Mountain Growers", "Lake County Botanicals", "Central Coast Cultivation",
    "Sierra Foothills Farms", "Coachella Valley Growers", "Shasta Sungrown",
    "Monterey Bay Gardens", "Redwood Coast Collective",
)  # fmt: skip
BRAND_FIRST: tuple[str, ...] = (
    "Golden Hour", "High Tide", "Sunday", "Pacific", "Foggy Bay", "Wild Oak", "North Star",
    "Coastline", "Canyon", "Redwood", "Silver Lake", "Mesa", "Orchard", "Sequoia", "Poppy",
)  # fmt: skip
BRAND_SECOND: tuple[str, ...] = (
    "Farms", "Reserve", "Extracts", "Labs", "Select", "Craft", "Garden Co", "Collective",
    "Botanicals", "Provisions",
)  # fmt: skip
HOUSE_BRAND = "TERP House Brand"

# California cities with a real ZIP range (all ZIPs of a city share its 3-digit prefix).
CA_CITIES: tuple[tuple[str, int, int], ...] = (
    ("Oakland", 94601, 94621), ("Los Angeles", 90001, 90089), ("Sacramento", 95811, 95838),
    ("San Francisco", 94102, 94134), ("San Diego", 92101, 92130), ("San Jose", 95110, 95139),
    ("Fresno", 93701, 93730), ("Long Beach", 90802, 90815), ("Bakersfield", 93301, 93314),
    ("Anaheim", 92801, 92808), ("Santa Ana", 92701, 92707), ("Riverside", 92501, 92509),
    ("Stockton", 95202, 95212), ("Irvine", 92602, 92620), ("Fremont", 94536, 94539),
    ("San Bernardino", 92401, 92411), ("Modesto", 95350, 95358), ("Oxnard", 93030, 93036),
    ("Santa Rosa", 95401, 95409), ("Eureka", 95501, 95503), ("Arcata", 95521, 95521),
    ("Ukiah", 95482, 95482), ("Redding", 96001, 96003), ("Chico", 95926, 95929),
    ("Santa Cruz", 95060, 95065), ("Salinas", 93901, 93908), ("Berkeley", 94702, 94710),
    ("Pasadena", 91101, 91107), ("Palm Springs", 92262, 92264),
    ("Santa Barbara", 93101, 93111), ("San Luis Obispo", 93401, 93405), ("Napa", 94558, 94559),
    ("Richmond", 94801, 94806), ("San Rafael", 94901, 94903), ("Costa Mesa", 92626, 92627),
)  # fmt: skip
STREETS: tuple[str, ...] = (
    "Main St", "Broadway", "Telegraph Ave", "Mission St", "Market St", "El Camino Real",
    "Sunset Blvd", "Grand Ave", "Harbor Blvd", "Pacific Ave", "Oak St", "Redwood Hwy",
    "Industrial Way", "Commerce Dr", "Foothill Blvd", "Santa Rosa Ave", "University Ave",
    "Capitol Mall", "Valley View Rd", "Airport Blvd", "Railroad Ave", "Cypress Ln",
)  # fmt: skip
# Real California area codes (all valid to libphonenumber with 555-01xx).
CA_AREA_CODES: tuple[int, ...] = (
    209, 213, 310, 323, 408, 415, 424, 510, 530, 559, 562, 619, 626, 628, 650, 657, 661,
    669, 707, 714, 747, 760, 805, 818, 831, 858, 909, 916, 925, 949, 951,
)  # fmt: skip
RESERVED_EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.net", "example.org")

# Warehouse location parts (locations / batchLocations: site, zone, rack, shelf, bin).
WAREHOUSE_SITES: tuple[str, ...] = (
    "Oakland Main Warehouse",
    "Sacramento Distribution",
    "Los Angeles Vault",
    "Humboldt Intake",
)
WAREHOUSE_ZONES: tuple[str, ...] = (
    "A", "B", "C", "D", "Vault", "Intake", "Quarantine", "Packing", "Cold Storage",
)  # fmt: skip
RACK_COUNT, SHELF_COUNT, BIN_COUNT = 20, 6, 24

# payments.paymentMethod -> referenceNumber shape (prefix, length, alphabet); None = no ref.
REFERENCE_FORMATS: Mapping[str, tuple[str, int, str] | None] = MappingProxyType(
    {
        "CHECK": ("CHK-", 4, "0123456789"),
        "ACH": ("ACH-", 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        "WIRE": ("WIRE-", 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
        "CREDIT_CARD": ("CC-", 4, "0123456789"),
        "DEBIT_CARD": ("CC-", 4, "0123456789"),
        "CASH": None,
        "OTHER": None,
    }
)

# California DCC licence number prefixes (see CannabisProvider.license_number).
DCC_LICENSE_TYPES: Mapping[str, str] = MappingProxyType(
    {
        "testing": "C8",
        "nonstorefront": "C9",
        "retailer": "C10",
        "distributor": "C11",
        "microbusiness": "C12",
        "transport": "C13",
        "event": "C14",
    }
)
LICENSE_KINDS: tuple[str, ...] = (*DCC_LICENSE_TYPES, "cultivation", "manufacturer")
CULTIVATION_LICENSE_YEARS: tuple[int, ...] = (18, 19, 20, 21, 22, 23, 24)
