"""How PII looks inside text, and which values are reserved for fiction.

Shared by the free-text masking rule (which replaces what these patterns find) and the leak scan
(which reports what they find outside reserved domains and fictional ranges).

Reserved or fictional, and so never a real person's:

- email domains ``example.com``/``.net``/``.org`` and the ``.test``, ``.example``, ``.invalid``
  and ``.localhost`` top-level domains (RFC 2606 / RFC 6761);
- North American numbers ``NXX-555-0100`` to ``NXX-555-0199`` (set aside for fiction);
- SSN-like numbers with area ``000``, ``666`` or ``9xx`` (never issued as SSNs; ``9xx`` with a
  group of ITIN ranges is an ITIN and counts as real), group ``00``, serial ``0000``, or the
  advertising block ``987-65-4320`` to ``987-65-4329``.
"""

from __future__ import annotations

import re
from typing import Final

RESERVED_EMAIL_DOMAINS: Final = ("example.com", "example.net", "example.org")
RESERVED_TLDS: Final = ("test", "example", "invalid", "localhost")

EMAIL_RE: Final = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}(?![\w-])"
)
"""An email address, internationalised ones included. Written with Unicode character classes
only, so the free-text rule (which keeps every character's class) can never make one up."""
PHONE_RE: Final = re.compile(
    r"(?<![\w+/.-])(?:\+?1[\s.-]?)?(?:\(([2-9]\d{2})\)|([2-9]\d{2}))[\s.-]?"
    r"([2-9]\d{2})[\s.-]?(\d{4})(?![\w/-])"
)
"""A North American number: ``(415) 867-5309``, ``415.867.5309``, ``+1 415 867 5309``."""
PHONE_LIKE_RE: Final = re.compile(
    r"(?<![\w+/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]?\d{3}[\s.-]?\d{4}(?![\w/-])"
)
"""Any 3-3-4 digit group: what masking replaces, so that no phone-shaped number survives (the
scan's stricter :data:`PHONE_RE` could otherwise find one in redrawn digits)."""
SSN_RE: Final = re.compile(r"(?<![\w-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-])")
"""An SSN-like number written in groups: ``123-45-6789`` or ``123 45 6789``."""

FICTIONAL_EXCHANGE: Final = "555"
FICTIONAL_LINES: Final = range(100, 200)
_ITIN_GROUPS: Final = frozenset([*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100)])

_AREA_CODES_TEXT: Final = """
    201 202 203 204 205 206 207 208 209 210 212 213 214 215 216 217 218 219 220 223 224 225 226
    227 228 229 231 234 235 236 239 240 248 249 250 251 252 253 254 256 257 260 262 263 267 269
    270 272 273 274 276 279 281 283 289 301 302 303 304 305 306 307 308 309 310 312 313 314 315
    316 317 318 319 320 321 323 324 325 326 327 329 330 331 332 334 336 337 339 340 341 343 346
    347 350 351 352 353 354 360 361 363 364 365 367 368 369 380 382 385 386 401 402 403 404 405
    406 407 408 409 410 412 413 414 415 416 417 418 419 423 424 425 428 430 431 432 434 435 437
    438 440 442 443 445 447 448 450 458 463 464 468 469 470 472 474 475 478 479 480 484 500 501
    502 503 504 505 506 507 508 509 510 512 513 514 515 516 517 518 519 520 521 522 525 526 527
    528 529 530 531 532 533 534 539 540 541 544 548 551 557 559 561 562 563 564 566 567 570 571
    572 573 574 575 577 579 580 581 582 584 585 586 587 588 600 601 602 603 604 605 606 607 608
    609 610 612 613 614 615 616 617 618 619 620 622 623 626 628 629 630 631 633 636 639 640 641
    645 646 647 650 651 656 657 658 659 660 661 662 667 669 670 671 672 678 680 681 682 683 686
    689 701 702 703 704 705 706 707 708 709 712 713 714 715 716 717 718 719 720 724 725 726 727
    728 730 731 732 734 737 738 740 742 743 747 748 753 754 757 760 762 763 765 769 770 771 772
    773 774 775 778 779 780 781 782 784 785 786 787 800 801 802 803 804 805 806 807 808 809 810
    812 813 814 815 816 817 818 819 820 821 825 826 828 829 830 831 832 833 835 838 839 840 843
    844 845 847 848 849 850 854 855 856 857 858 859 860 862 863 864 865 866 867 870 872 873 876
    877 878 879 888 900 901 902 903 904 905 906 907 908 909 910 912 913 914 915 916 917 918 919
    920 925 928 929 930 931 934 936 937 938 939 940 941 942 943 945 947 948 949 951 952 954 956
    959 970 971 972 973 975 978 979 980 983 984 985 986 989
"""
VALID_AREA_CODES: Final = frozenset(int(code) for code in _AREA_CODES_TEXT.split())
"""Area codes for which every ``555-01xx`` number is valid to libphonenumber (checked by test)."""


def is_reserved_email(address: str) -> bool:
    """True when the address is at a domain reserved for examples and tests."""
    domain = address.rsplit("@", 1)[-1].strip().lower().rstrip(".")
    if domain in RESERVED_EMAIL_DOMAINS or domain.rsplit(".", 1)[-1] in RESERVED_TLDS:
        return True
    return any(domain.endswith("." + reserved) for reserved in RESERVED_EMAIL_DOMAINS)


def is_fictional_phone(exchange: str, line: str) -> bool:
    """True for ``555-0100`` .. ``555-0199``, the numbers set aside for fiction."""
    return exchange == FICTIONAL_EXCHANGE and line.isdigit() and int(line) in FICTIONAL_LINES


def is_fictional_ssn(area: str, group: str, serial: str) -> bool:
    """True when an SSN-like number cannot be a real SSN or ITIN."""
    if area in ("000", "666") or group == "00" or serial == "0000":
        return True
    if area == "987" and group == "65" and serial.startswith("432"):
        return True
    return area.startswith("9") and int(group) not in _ITIN_GROUPS
