"""Payables: the distributor's bank accounts and the supplier bills it owes.

Bills follow TERP's bill state machine (``server/services/billStateMachine.ts:27-80``) relative to
the run's as-of day: recent bills are DRAFT or PENDING, bills not yet due PENDING, APPROVED,
PARTIAL or PAID, past-due ones mostly PAID, else OVERDUE (or VOID). ``bills.vendorId`` is the
supplier's CLIENT id, as TERP reads it (``server/vendorDisplay.ts:25-70``). A bill paid in full
or in part comes with its payment (``paymentType`` SENT, ``vendorId`` the supplier's client id,
``billId``: ``payVendor``, ``server/routers/accounting.ts:1995-2030``), dated between the bill
and the as-of day, so ``amountPaid`` is the sum of the bill's payments.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from terp_seed.factories.base import Gen, Row
from terp_seed.factories.calendar import DAY_MINUTES
from terp_seed.factories.draw import Weighted, decimal_cents
from terp_seed.factories.invoicing import SalesKeys, sent_payment

_ZERO = decimal_cents(0)
BANK_ACCOUNTS = (
    # TERP's own accounting seed (scripts/seed-accounting.ts:114-135): masked numbers
    ("Primary Checking", "CHECKING", 60_000, 400_000),
    ("Business Savings", "SAVINGS", 25_000, 150_000),
    ("Business Credit Card", "CREDIT_CARD", -12_000, -500),
    ("Payroll Checking", "CHECKING", 15_000, 90_000),
    ("Tax Reserve", "MONEY_MARKET", 20_000, 120_000),
)
BANKS = ("First National Bank", "Pacific Coast Bank", "Golden State Credit Union")
BILL_TERMS = Weighted.of(((30, 60), (15, 20), (7, 10), (0, 10)))
"""Days from bill date to due date: NET_30, NET_15, NET_7, COD."""


def bank_accounts(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """The distributor's own accounts, shaped as TERP's accounting seed writes them."""
    draw = gen.draw("bankAccounts")
    for i in range(count):
        name, kind, low, high = BANK_ACCOUNTS[i % len(BANK_ACCOUNTS)]
        if i >= len(BANK_ACCOUNTS):
            name = f"{name} {i // len(BANK_ACCOUNTS) + 1}"
        yield (
            "bankAccounts",
            {
                "id": gen.ids.next_id("bankAccounts"),
                "accountName": name,
                "accountNumber": f"****{draw.between(1000, 9999)}",
                "bankName": "Chase Bank" if kind == "CREDIT_CARD" else draw.pick(BANKS),
                "accountType": kind,
                "currency": "USD",
                "currentBalance": decimal_cents(draw.cents(low, high)),
                "isActive": True,
            },
        )


def suppliers(gen: Gen) -> tuple[list[int], set[int]]:
    """Client ids of the suppliers bills are owed to (``is_seller``), and every client id.

    The supplier contract makes each supplier's ``vendors.id`` its client id; on a database
    where no seller's id is also a vendor's, the vendors' ids are all there is to name.
    """
    clients = gen.parents.rows("clients", ["id", "is_seller"])
    sellers = [cid for cid, seller in clients if seller]
    vendors = set(gen.parents.column("vendors", "id"))
    both = [c for c in sellers if c in vendors]
    return both or sorted(vendors), {cid for cid, _ in clients}


def bills(gen: Gen, count: int) -> Iterator[tuple[str, Row]]:
    """Supplier bills (accounts payable) in the states TERP's bill state machine allows."""
    draw = gen.draw("bills")
    pick, rnd = draw.pick, draw.random
    owed_to, client_ids = suppliers(gen)
    users = gen.parents.column("users", "id")
    if not (owed_to and users):
        return
    next_number = gen.codes("bills", "billNumber", "BILL-", 6)
    keys = SalesKeys(gen)
    cal = gen.calendar
    days, as_of = cal.days, cal.as_of
    for _ in range(count):
        day_no = int(rnd() * len(days))
        day = days[day_no]
        due = day + timedelta(days=BILL_TERMS(draw))
        total = draw.cents(1_500, 45_000)
        age = cal.ages[day_no]
        vendor_id = pick(owed_to)
        paid = 0
        if age <= 2:
            status = "DRAFT" if rnd() < 0.5 else "PENDING"
        elif due >= as_of:
            r = rnd()
            status = (
                "PENDING"
                if r < 0.35
                else "APPROVED"
                if r < 0.7
                else "PARTIAL"
                if r < 0.85
                else "PAID"
            )
        else:
            r = rnd()
            status = "PAID" if r < 0.85 else "OVERDUE" if r < 0.95 else "VOID"
        if status == "PAID":
            paid = total
        elif status == "PARTIAL" or (status == "OVERDUE" and rnd() < 0.4):
            paid = int(total * (0.2 + 0.6 * rnd()))
        created = cal.midnights[day_no] + pick(DAY_MINUTES)
        bill_id = gen.ids.next_id("bills")
        payment = None
        if paid:
            latest = min(as_of, max(day, due + timedelta(days=10)))
            pay_day = day + timedelta(days=int((latest - day).days * rnd()))
            payer = pick(users)
            # payments.vendorId is a client (FK): none when the bill names a vendor only
            payee = vendor_id if vendor_id in client_ids else None
            payment = sent_payment(keys, draw, cal, pay_day, paid, (bill_id, payee), payer)
        yield (
            "bills",
            {
                "id": bill_id,
                "billNumber": next_number(),
                "vendorId": vendor_id,
                "billDate": day,
                "dueDate": due,
                "subtotal": decimal_cents(total),
                "taxAmount": _ZERO,
                "discountAmount": _ZERO,
                "totalAmount": decimal_cents(total),
                "amountPaid": decimal_cents(paid),
                "amountDue": decimal_cents(total - paid),
                "status": status,
                "createdBy": pick(users),
                "createdAt": created,
                "updatedAt": payment["createdAt"] if payment else created,
            },
        )
        if payment is not None:
            yield "payments", payment
