"""The compliance docs agree with the code: the catalogue page is what the schema generates, the
masking page covers every rule and its examples are what the rules give."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from terp_seed.masking.catalogue import catalogue, render_markdown
from terp_seed.masking.rules import RULES, mask_value
from terp_seed.masking.secret import MaskKey
from terp_seed.testing.plugin import run_cli

DOCS = Path(__file__).resolve().parents[1] / "docs" / "compliance"
PAGES = ("pii-catalogue", "masking", "gdpr-ccpa", "retention", "audit", "review-checklist")
EXAMPLE_KEY = MaskKey(b"golden-key-0123456789")


def test_catalogue_page_is_generated_from_the_schema() -> None:
    page = (DOCS / "pii-catalogue.md").read_text()
    assert page == render_markdown(catalogue()), (
        "docs/compliance/pii-catalogue.md is stale: regenerate it with "
        "`terp-seed pii --markdown > docs/compliance/pii-catalogue.md`"
    )


def test_pii_markdown_command_prints_the_page(sqlite_url: str) -> None:
    result = run_cli(sqlite_url, "pii", "--markdown")
    assert result.code == 0
    assert result.out == (DOCS / "pii-catalogue.md").read_text()


def test_catalogue_page_lists_every_catalogued_column() -> None:
    page = (DOCS / "pii-catalogue.md").read_text()
    for entry in catalogue():
        assert f"| `{entry.table}` | `{entry.column}` | {entry.kind} |" in page


@pytest.mark.parametrize("page", PAGES)
def test_every_page_exists_and_its_links_resolve(page: str) -> None:
    text = (DOCS / f"{page}.md").read_text()
    assert text.startswith(("# ", "<!--"))
    for target in re.findall(r"\]\(([^)#]+\.md)\)", text):
        assert (DOCS / target).is_file(), f"{page}.md links to missing {target}"


def test_masking_page_explains_every_rule() -> None:
    text = (DOCS / "masking.md").read_text()
    headings = " ".join(re.findall(r"^### (.+)$", text, flags=re.M))
    assert set(re.findall(r"`(\w+)`", headings)) == set(RULES)


def test_masking_page_examples_are_what_the_rules_give() -> None:
    text = (DOCS / "masking.md").read_text()
    checked = 0
    for section in text.split("\n### ")[1:]:
        heading, body = section.split("\n", 1)
        rules = [RULES[name] for name in re.findall(r"`(\w+)`", heading)]
        for original, masked in re.findall(r"`([^`]+)` → `([^`]+)`", body):
            got = {mask_value(rule, original, EXAMPLE_KEY) for rule in rules}
            assert masked in got, (
                f"{heading}: {original!r} masks to {got}, the page says {masked!r}"
            )
            checked += 1
    assert checked >= 12


def test_gdpr_page_makes_no_anonymisation_claim_for_masked_copies() -> None:
    text = (DOCS / "gdpr-ccpa.md").read_text()
    assert "**Pseudonymised personal data**" in text
    assert "no anonymisation claim for masked copies" in text
    assert "Do not describe masked copies as deidentified" in text
