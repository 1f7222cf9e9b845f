"""Faker formatters for parties and places: business names, licences, METRC tags, contact
details, payment references and warehouse slots, in the shapes TERP's own seed scripts write."""

from __future__ import annotations

import re
import unicodedata
from typing import ClassVar, NamedTuple

from terp_seed.factories.cannabis_data import (
    BIN_COUNT,
    BRAND_FIRST,
    BRAND_SECOND,
    BUYER_MIDDLES,
    BUYER_PREFIXES,
    CA_AREA_CODES,
    CA_CITIES,
    CULTIVATION_LICENSE_YEARS,
    DCC_LICENSE_TYPES,
    LEGAL_SUFFIXES,
    LICENSE_KINDS,
    RACK_COUNT,
    REFERENCE_FORMATS,
    RESERVED_EMAIL_DOMAINS,
    RETAIL_ADJECTIVES,
    RETAIL_SUFFIXES,
    RETAIL_SURNAMES,
    SHELF_COUNT,
    STREETS,
    SUPPLIERS,
    WAREHOUSE_SITES,
    WAREHOUSE_ZONES,
)
from terp_seed.factories.seeded_provider import SeededProvider

METRC_FACILITY_RE = re.compile(r"[0-9A-F]{7}")
_EMAIL_LOCAL_MAX = 64  # RFC 5321 limit on the local part
_EMAIL_PREFIX_MAX = 32  # leaves at least 31 characters of the hint
_CITY_NAMES = tuple(city for city, _, _ in CA_CITIES)


class WarehouseLocation(NamedTuple):
    """One storage slot, as ``locations`` and ``batchLocations`` store it."""

    site: str
    zone: str
    rack: str
    shelf: str
    bin: str


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


class PartyProvider(SeededProvider):
    """Parties, licences and places: part of
    :class:`~terp_seed.factories.cannabis.CannabisProvider`."""

    __provider__ = "cannabis_parties"

    buyer_prefixes: ClassVar[tuple[str, ...]] = BUYER_PREFIXES
    buyer_middles: ClassVar[tuple[str, ...]] = BUYER_MIDDLES
    legal_suffixes: ClassVar[tuple[str, ...]] = LEGAL_SUFFIXES
    retail_suffixes: ClassVar[tuple[str, ...]] = RETAIL_SUFFIXES
    suppliers: ClassVar[tuple[str, ...]] = SUPPLIERS
    ca_cities: ClassVar[tuple[tuple[str, int, int], ...]] = CA_CITIES
    streets: ClassVar[tuple[str, ...]] = STREETS
    area_codes: ClassVar[tuple[int, ...]] = CA_AREA_CODES

    # -- parties ---------------------------------------------------------------------------

    def buyer_business_name(self) -> str:
        """A California buyer: path A's ``<prefix> <middle> [LLC|Inc|Co|Corp]`` or path B's
        ``<city|adjective|surname> <suffix>`` (each half the time).

        :example: 'Emerald Valley Collective LLC'
        :example: 'Oakland Wellness'
        """
        if self._rng.random() < 0.5:
            parts = (
                self.random_element(self.buyer_prefixes),
                self.random_element(self.buyer_middles),
                self.random_element(self.legal_suffixes),
            )
            return " ".join(p for p in parts if p)
        pool = self.random_element((_CITY_NAMES, RETAIL_ADJECTIVES, RETAIL_SURNAMES))
        return f"{self.random_element(pool)} {self.random_element(self.retail_suffixes)}"

    def supplier_business_name(self) -> str:
        """One of the 15 supplier names of path B.

        :example: 'Humboldt Harvest Co'
        """
        return self.random_element(self.suppliers)

    def supplier_business_names(self, count: int) -> list[str]:
        """``count`` distinct supplier names: the list shuffled, then ``' #2'``, ``' #3'`` ...
        appended once it runs out (as path B does).

        :example: ['Shasta Sungrown', 'NorCal Farms', 'Mendocino Green']
        """
        order = self._rng.sample(self.suppliers, len(self.suppliers))
        names = []
        for i in range(count):
            round_no, index = divmod(i, len(order))
            names.append(order[index] if round_no == 0 else f"{order[index]} #{round_no + 1}")
        return names

    def brand_name(self) -> str:
        """A product brand (brands.name).

        :example: 'Golden Hour Extracts'
        """
        return f"{self.random_element(BRAND_FIRST)} {self.random_element(BRAND_SECOND)}"

    def license_number(self, kind: str = "retailer") -> str:
        """A California cannabis licence number in the real DCC formats.

        - ``C<type>-<7 digits>-LIC`` for licences first issued by the Bureau of Cannabis Control:
          testing C8, nonstorefront (delivery) C9, retailer C10, distributor C11,
          microbusiness C12, transport (distributor-transport only) C13, event C14.
        - ``CCL<yy>-<7 digits>`` for cultivation (CDFA CalCannabis; ``yy`` = year applied,
          18-24; CCL replaced the CAL/CML/PAL/PML prefixes in October 2019).
        - ``CDPH-1<7 digits>`` for manufacturers (CDPH MCSB annual licences).

        Temporary licences (``...-TEMP``, ``TAL..``, ``CDPH-T...``) expired in 2019 and are not
        generated.

        :example: 'C10-0000123-LIC'
        :example: 'CCL21-0001234'
        :example: 'CDPH-10001234'
        """
        if kind in DCC_LICENSE_TYPES:
            return f"{DCC_LICENSE_TYPES[kind]}-{self.random_int(1, 999_999):07d}-LIC"
        if kind == "cultivation":
            year = self.random_element(CULTIVATION_LICENSE_YEARS)
            return f"CCL{year}-{self.random_int(1, 999_999):07d}"
        if kind == "manufacturer":
            return f"CDPH-1{self.random_int(1, 99_999):07d}"
        raise ValueError(f"unknown licence kind {kind!r}: expected one of {LICENSE_KINDS}")

    def metrc_facility(self) -> str:
        """A 7-character facility block for :meth:`metrc_tag` (uppercase hex).

        :example: '0A3F1C2'
        """
        return "".join(self._rng.choice("0123456789ABCDEF") for _ in range(7))

    def metrc_tag(self, facility: str | None = None) -> str:
        """A METRC-style package tag of 24 uppercase hex-range characters.

        Format: ``1A4`` + 7-character facility block (``[0-9A-F]``, see
        :meth:`metrc_facility`) + ``0000`` + 10-digit zero-padded serial (below 10**9, so it
        also reads as ``00000`` + 9 digits). Real tags are 96-bit RFID EPCs shown as 24 hex
        digits starting ``1A4``; METRC does not publish the inner layout, so the split is ours.
        Pass ``facility`` to give a lot's packages one shared block.

        :example: '1A40A3F1C200000004812733'
        """
        if facility is None:
            facility = self.metrc_facility()
        elif not METRC_FACILITY_RE.fullmatch(facility):
            raise ValueError(
                f"METRC facility block must be 7 uppercase hex characters, got {facility!r}"
            )
        return f"1A4{facility}0000{self.random_int(1, 999_999_999):010d}"

    # -- contact details -------------------------------------------------------------------

    def ca_address(self) -> str:
        """``<no> <street>, <city>, CA <zip>``; the ZIP is in the city's real range.

        :example: '4821 Telegraph Ave, Oakland, CA 94609'
        """
        city, zip_low, zip_high = self.random_element(self.ca_cities)
        number = self.random_int(100, 9999)
        street = self.random_element(self.streets)
        return f"{number} {street}, {city}, CA {self.random_int(zip_low, zip_high):05d}"

    def fictional_phone(self) -> str:
        """A US number in the 555-0100..555-0199 block reserved for fiction, with a real
        California area code; valid to ``phonenumbers.is_valid_number``.

        :example: '(415) 555-0123'
        """
        area = self.random_element(self.area_codes)
        return f"({area}) 555-{self.random_int(100, 199):04d}"

    def reserved_email(
        self, local_hint: str, prefix: str = "contact", domain: str | None = None
    ) -> str:
        """``<prefix>.<slug of local_hint>@<domain>`` at an RFC 2606 reserved domain.

        ``domain`` is example.com, example.net or example.org (random when None). A hint with
        no letters or digits becomes ``client-<4 digits>``.

        :example: 'contact.green-valley-collective@example.com'
        """
        prefix_slug = _slug(prefix)
        if not 0 < len(prefix_slug) <= _EMAIL_PREFIX_MAX:
            raise ValueError(
                f"email prefix {prefix!r} must have 1-{_EMAIL_PREFIX_MAX} letters or digits;"
                " use e.g. 'contact' or 'sales'"
            )
        if domain is None:
            domain = self.random_element(RESERVED_EMAIL_DOMAINS)
        elif domain not in RESERVED_EMAIL_DOMAINS:
            raise ValueError(
                f"email domain {domain!r} is not reserved: use one of {RESERVED_EMAIL_DOMAINS}"
            )
        slug = _slug(local_hint) or f"client-{self.random_int(1000, 9999)}"
        slug = slug[: _EMAIL_LOCAL_MAX - len(prefix_slug) - 1].rstrip("-")
        return f"{prefix_slug}.{slug}@{domain}"

    def reference_number(self, method: str) -> str | None:
        """payments.referenceNumber for a payment method, as path B writes it.

        CHECK ``CHK-####``, ACH ``ACH-`` + 10, WIRE ``WIRE-`` + 12 (uppercase letters and
        digits), CREDIT_CARD/DEBIT_CARD ``CC-`` + 4 digits; CASH and OTHER give None.

        :example: 'ACH-7KQ2M9XZ4B'
        """
        if method not in REFERENCE_FORMATS:
            raise ValueError(
                f"unknown payment method {method!r}: expected one of {tuple(REFERENCE_FORMATS)}"
            )
        shape = REFERENCE_FORMATS[method]
        if shape is None:
            return None
        lead, length, alphabet = shape
        return lead + "".join(self._rng.choice(alphabet) for _ in range(length))

    # -- warehouse -------------------------------------------------------------------------

    def warehouse_location(self) -> WarehouseLocation:
        """A storage slot: site, zone, rack ``R01``-``R20``, shelf ``S1``-``S6``, bin ``B01``-.

        :example: WarehouseLocation('Oakland Main Warehouse', 'Vault', 'R07', 'S3', 'B12')
        """
        return WarehouseLocation(
            site=self.random_element(WAREHOUSE_SITES),
            zone=self.random_element(WAREHOUSE_ZONES),
            rack=f"R{self.random_int(1, RACK_COUNT):02d}",
            shelf=f"S{self.random_int(1, SHELF_COUNT)}",
            bin=f"B{self.random_int(1, BIN_COUNT):02d}",
        )
