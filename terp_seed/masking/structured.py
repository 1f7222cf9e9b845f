"""Masking rules for values with structure: login names, JSON documents, and text in columns
the catalogue does not know."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

from terp_seed.masking import words
from terp_seed.masking.contact import mask_address, mask_email, mask_person_name, mask_phone
from terp_seed.masking.freetext import mask_free_text, mask_free_text_patterns
from terp_seed.masking.patterns import EMAIL_RE
from terp_seed.masking.secret import KeyStream, MaskKey

_Fn = Callable[[str, MaskKey], str]

_PERSON_NAME_KEY: Final = re.compile(
    r"^(first|last|full|contact|customer|client|buyer|driver|person)?name$"
    r"|(approved|signed|requested|entered)by$|^(owner|contact|recipient|signer|salesrep)$"
)
# JSON keys whose string values are personal by their name (matched on the lower-cased key
# with separators removed); other strings in a document keep their words, but emails, phones
# and SSN-like numbers inside them are replaced.
_KEY_RULES: Final[tuple[tuple[re.Pattern[str], _Fn], ...]] = (
    (re.compile(r"e?mail"), mask_email),
    (re.compile(r"phone|mobile|cell|fax|^tel"), mask_phone),
    (re.compile(r"address|street"), mask_address),
    (re.compile(r"note|comment|memo|remark|instruction|message|description"), mask_free_text),
    (_PERSON_NAME_KEY, mask_person_name),
)


def mask_login(value: str, key: MaskKey) -> str:
    """A login name (``users.openId``): an address stays an address, masked exactly as the
    ``email`` rule masks it (TERP signs users in with ``openId = email``, so the two still
    match); anything else becomes ``user-`` and a 65-bit keyed tag. Distinct in, distinct out.

    :example: ``"jane.doe@gmail.com"`` -> the masked ``users.email`` of the same address
    """
    if not value.strip():
        return value
    if EMAIL_RE.fullmatch(value.strip()):
        return mask_email(value, key)
    stream = KeyStream(key, "login", words.normalize(value))
    return f"user-{words.base32_tag(stream)}"


def mask_json(value: str, key: MaskKey) -> str:
    """A JSON document with every string masked, keys and structure kept: strings under keys
    that name personal data (``email``, ``phone``, ``name``, ``notes``, ...) by that kind's rule,
    every other string by the ``free_text_patterns`` rule. Text that is not JSON is masked as
    free text.

    :example: ``'["VIP", "call 415-867-5309"]'`` -> ``'["VIP", "call 415-555-0147"]'``
    """
    try:
        document = json.loads(value)
    except ValueError:
        return mask_free_text(value, key)
    masked = _walk(document, key, None)
    return json.dumps(masked, ensure_ascii=False) if masked != document else value


def mask_unknown_text(value: str, key: MaskKey) -> str:
    """Text in a column the catalogue does not know (one the application added): a JSON
    document or array by the ``json`` rule, anything else by the ``free_text`` rule.
    """
    if value.lstrip()[:1] in ("{", "["):
        try:
            json.loads(value)
        except ValueError:
            return mask_free_text(value, key)
        return mask_json(value, key)
    return mask_free_text(value, key)


def _walk(node: Any, key: MaskKey, name: str | None) -> Any:
    if isinstance(node, dict):
        return {k: _walk(v, key, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk(v, key, name) for v in node]
    if isinstance(node, str) and node.strip():
        return _rule_for(name)(node, key)
    return node


def _rule_for(name: str | None) -> _Fn:
    if name is None:
        return mask_free_text_patterns
    flat = re.sub(r"[^a-z]", "", name.lower())
    for pattern, rule in _KEY_RULES:
        if pattern.search(flat):
            return rule
    return mask_free_text_patterns
