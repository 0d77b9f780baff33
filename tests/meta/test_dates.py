"""moment.js format tokens (English locale) in zones, as {{date}} renders them."""

from __future__ import annotations

import pytest

from ghbuild.meta.dates import UnknownZone, format_moment

T = 1578616200_000 + 45   # 2020-01-10T00:30:00.045Z, a Friday


@pytest.mark.parametrize(("fmt", "tz", "out"), [
    ("YYYY YY Y MM M DD D", "UTC", "2020 20 2020 01 1 10 10"),
    ("MMM MMMM Mo Do DDD DDDD DDDo", "UTC", "Jan January 1st 10th 10 010 10th"),
    ("d do dd ddd dddd e E", "UTC", "5 5th Fr Fri Friday 5 5"),
    ("HH H hh h kk k mm m ss s", "UTC", "00 0 12 12 24 24 30 30 00 0"),
    ("A a", "UTC", "AM am"),
    ("A a hh", "America/New_York", "PM pm 07"),
    ("S SS SSS SSSS", "UTC", "0 04 045 0450"),
    ("Z ZZ z", "UTC", "+00:00 +0000 UTC"),
    ("Z ZZ z", "Asia/Tokyo", "+09:00 +0900 JST"),
    ("Z z", "Asia/Kolkata", "+05:30 IST"),
    ("X x", "UTC", "1578616200 1578616200045"),
    ("Q Qo W WW w ww GGGG gggg", "UTC", "1 1st 2 02 2 02 2020 2020"),
    ("[YYYY] \\Y YYYY[-]MM", "UTC", "YYYY Y 2020-01"),
    ("YYYYMMDD-HHmmss", "Asia/Tokyo", "20200110-093000"),
    ("YYYY-MM-DDTHH:mm:ss.SSS[Z]", "UTC", "2020-01-10T00:30:00.045Z"),
    ("L LL", "UTC", "01/10/2020 January 10, 2020"),
    ("LT", "Europe/Paris", "1:30 AM"),
    ("hmm Hmm", "UTC", "1230 030"),
    (None, "UTC", "2020-01-10T00:30:00Z"),
    (None, "Asia/Tokyo", "2020-01-10T09:30:00+09:00"),
    ("YYYY", "asia/tokyo", "2020"),   # zone names match case-insensitively, like moment
])
def test_tokens(fmt: str | None, tz: str, out: str) -> None:
    assert format_moment(T, fmt, tz) == out


@pytest.mark.parametrize(("iso_ms", "fmt", "out"), [
    (1609459200_000, "GGGG-[W]WW gggg-ww", "2020-W53 2021-01"),   # Fri 2021-01-01
    (1735430400_000, "GGGG-[W]WW gggg-ww", "2024-W52 2025-01"),   # Sun 2024-12-29
    (1711927800_000, "YYYYMMDD-hh A", "20240331-07 PM"),
])
def test_week_years(iso_ms: int, fmt: str, out: str) -> None:
    tz = "America/New_York" if "hh" in fmt else "UTC"
    assert format_moment(iso_ms, fmt, tz) == out


def test_unknown_zone() -> None:
    with pytest.raises(UnknownZone):
        format_moment(T, "YYYY", "Mars/Olympus")
