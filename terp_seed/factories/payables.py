"""Payables: the distributor's bank accounts and the supplier bills it owes."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.calendar import THIRTY_DAYS
from terp_seed.factories.draw import decimal_cents

CENT = Decimal("0.01")
_ZERO = Decimal("0.00")


def _money(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def bank_accounts(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """The distributor's own accounts (fictional numbers)."""
    rng = gen.rng("bankAccounts")
    names = ("Operating Account", "Payroll Account", "Tax Reserve", "Savings", "Card Clearing")
    banks = ("Golden State Credit Union", "Pacific Coast Bank", "Redwood Community Bank")
    for i in range(count):
        kind = "SAVINGS" if "Savings" in names[i % len(names)] else "CHECKING"
        yield (
            "bankAccounts",
            {
                "id": gen.ids.next_id("bankAccounts"),
                "accountName": names[i % len(names)]
                + (f" {i // len(names) + 1}" if i >= len(names) else ""),
                # 12 digits from 00: never shaped like a phone number a leak scan would flag
                "accountNumber": f"00{rng.randint(10**9, 10**10 - 1)}",
                "bankName": rng.choice(banks),
                "accountType": kind,
                "currency": "USD",
                "currentBalance": _money(rng.uniform(20_000, 900_000)),
                "isActive": True,
            },
        )


def bills(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier bills (accounts payable), not yet paid."""
    draw = gen.draw("bills")
    pick = draw.pick
    vendors = gen.parents.column("vendors", "id")
    users = gen.parents.column("users", "id")
    if not (vendors and users):
        return
    next_number = gen.codes("bills", "billNumber", "BILL-", 6)
    cal = gen.calendar
    for _ in range(count):
        day = pick(cal.days)
        subtotal = decimal_cents(draw.cents(2_000, 60_000))
        due = day + THIRTY_DAYS
        yield (
            "bills",
            {
                "id": gen.ids.next_id("bills"),
                "billNumber": next_number(),
                "vendorId": pick(vendors),
                "billDate": day,
                "dueDate": due,
                "subtotal": subtotal,
                "taxAmount": _ZERO,
                "discountAmount": _ZERO,
                "totalAmount": subtotal,
                "amountPaid": _ZERO,
                "amountDue": subtotal,
                "status": "OVERDUE" if due < cal.as_of else pick(("PENDING", "APPROVED")),
                "createdBy": pick(users),
            },
        )
