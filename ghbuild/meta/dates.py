"""moment.js date formatting, as ``{{date 'FORMAT' tz='Zone'}}`` renders in metadata-action.

Why not arrow: arrow's format tokens look like moment's but several differ (arrow's
``Z`` is ``+0900`` where moment's is ``+09:00`` and ``ZZ`` the other way round; arrow's
``d`` is the ISO weekday where moment's is 0-6 from Sunday; arrow's ``W`` is a whole ISO
week date; arrow's ``X`` may print a float), and importing it costs more than this
whole command should. So the moment token table (English locale, the only one
metadata-action uses) is written out here; time zones come from :mod:`zoneinfo`.

Names are matched like moment-timezone: exact first, then case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone, tzinfo
from functools import lru_cache

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")

_LOCAL = {"LTS": "h:mm:ss A", "LT": "h:mm A", "L": "MM/DD/YYYY", "LL": "MMMM D, YYYY",
          "LLL": "MMMM D, YYYY h:mm A", "LLLL": "dddd, MMMM D, YYYY h:mm A",
          "l": "M/D/YYYY", "ll": "MMM D, YYYY", "lll": "MMM D, YYYY h:mm A",
          "llll": "ddd, MMM D, YYYY h:mm A"}
_LOCAL_RE = re.compile(r"(\[[^\[]*\])|(\\)?(LTS|LT|LL?L?L?|l{1,4})")
_TOKEN_RE = re.compile(
    r"(\[[^\[]*\])|(\\)?([Hh]mm(?:ss)?|Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[o|w]?|W[o|W]?"
    r"|Qo?|N{1,5}|YYYYYY|YYYYY|YYYY|YY|y{2,4}|yo?|gg(?:ggg?)?|GG(?:GGG?)?|e|E|a|A|hh?|HH?"
    r"|kk?|mm?|ss?|S{1,9}|x|X|zz?|ZZ?|.)", re.DOTALL)


class UnknownZone(ValueError):
    pass


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The time zone called ``name`` (moment-timezone spelling), or UnknownZone."""
    if name.upper() in ("UTC", "ETC/UTC", "Z", "GMT"):
        return timezone.utc
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        pass
    wanted = name.lower()
    for candidate in zoneinfo.available_timezones():
        if candidate.lower() == wanted:
            return zoneinfo.ZoneInfo(candidate)
    raise UnknownZone(name)


@dataclass(frozen=True)
class Moment:
    """One instant seen in one zone: what the token functions read."""

    dt: datetime          # aware, in the target zone
    ms: int               # milliseconds within the second
    epoch_ms: int

    @property
    def offset_minutes(self) -> int:
        off = self.dt.utcoffset() or timedelta(0)
        return int(off.total_seconds() // 60)


def format_moment(epoch_ms: int, fmt: str | None, tz_name: str = "UTC") -> str:
    tz = zone(tz_name)
    seconds, ms = divmod(epoch_ms, 1000)
    dt = datetime.fromtimestamp(seconds, tz)
    mom = Moment(dt, ms, epoch_ms)
    if not fmt:
        # moment's default format; "Z" literal when the zone is at UTC+0 (isUtc())
        fmt = "YYYY-MM-DDTHH:mm:ss[Z]" if mom.offset_minutes == 0 else "YYYY-MM-DDTHH:mm:ssZ"
    return _format(mom, _expand_local(fmt))


def _expand_local(fmt: str) -> str:
    for _ in range(5):
        expanded = _LOCAL_RE.sub(lambda m: m.group(0) if m.group(1) or m.group(2)
                                 else _LOCAL[m.group(3)], fmt)
        if expanded == fmt:
            break
        fmt = expanded
    return fmt


def _format(mom: Moment, fmt: str) -> str:
    out: list[str] = []
    for m in _TOKEN_RE.finditer(fmt):
        if m.group(1):
            out.append(m.group(1)[1:-1])
            continue
        token = m.group(3)
        fn = None if m.group(2) else _TOKENS.get(token)
        out.append(fn(mom) if fn else token)
    return "".join(out)


def _pad(number: int, width: int, force_sign: bool = False) -> str:
    sign = "-" if number < 0 else ("+" if force_sign else "")
    return sign + str(abs(number)).rjust(width, "0")


def ordinal(number: int) -> str:
    tens, ones = (number % 100) // 10, number % 10
    suffix = "th" if tens == 1 else {1: "st", 2: "nd", 3: "rd"}.get(ones, "th")
    return f"{number}{suffix}"


def _dow(mom: Moment) -> int:
    return (mom.dt.weekday() + 1) % 7  # 0 = Sunday


def _doy(mom: Moment) -> int:
    return mom.dt.timetuple().tm_yday


def _first_week_offset(year: int, dow: int, doy: int) -> int:
    fwd = 7 + dow - doy
    jan = (date(year, 1, fwd).weekday() + 1) % 7 if fwd >= 1 else \
        ((date(year, 1, 1) + timedelta(days=fwd - 1)).weekday() + 1) % 7
    fwdlw = (7 + jan - dow) % 7
    return -fwdlw + fwd - 1


def _weeks_in_year(year: int, dow: int, doy: int) -> int:
    days = 366 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 365
    return (days - _first_week_offset(year, dow, doy) + _first_week_offset(year + 1, dow, doy)) \
        // 7


def week_of_year(mom: Moment, dow: int, doy: int) -> tuple[int, int]:
    """(week, week-year) by moment's rule; ISO is dow=1, doy=4, English dow=0, doy=6."""
    year = mom.dt.year
    week = (_doy(mom) - _first_week_offset(year, dow, doy) - 1) // 7 + 1
    if week < 1:
        return week + _weeks_in_year(year - 1, dow, doy), year - 1
    if week > _weeks_in_year(year, dow, doy):
        return week - _weeks_in_year(year, dow, doy), year + 1
    return week, year


def _zone_offset(mom: Moment, sep: str) -> str:
    off = mom.offset_minutes
    sign = "-" if off < 0 else "+"
    off = abs(off)
    return f"{sign}{off // 60:02d}{sep}{off % 60:02d}"


def _zone_abbr(mom: Moment) -> str:
    return mom.dt.tzname() or ""


def _fraction(width: int) -> Callable[[Moment], str]:
    def fn(mom: Moment) -> str:
        if width <= 3:
            return str(mom.ms // (10 ** (3 - width))).rjust(width, "0")
        return str(mom.ms * 10 ** (width - 3)).rjust(width, "0")
    return fn


def _hour12(mom: Moment) -> int:
    return mom.dt.hour % 12 or 12


def _year_token(mom: Moment) -> str:
    year = mom.dt.year
    return _pad(year, 4) if year <= 9999 else f"+{year}"


_TOKENS: dict[str, Callable[[Moment], str]] = {
    "M": lambda m: str(m.dt.month),
    "MM": lambda m: _pad(m.dt.month, 2),
    "MMM": lambda m: MONTHS[m.dt.month - 1][:3],
    "MMMM": lambda m: MONTHS[m.dt.month - 1],
    "Mo": lambda m: ordinal(m.dt.month),
    "Q": lambda m: str((m.dt.month - 1) // 3 + 1),
    "Qo": lambda m: ordinal((m.dt.month - 1) // 3 + 1),
    "D": lambda m: str(m.dt.day),
    "DD": lambda m: _pad(m.dt.day, 2),
    "Do": lambda m: ordinal(m.dt.day),
    "DDD": lambda m: str(_doy(m)),
    "DDDD": lambda m: _pad(_doy(m), 3),
    "DDDo": lambda m: ordinal(_doy(m)),
    "d": lambda m: str(_dow(m)),
    "do": lambda m: ordinal(_dow(m)),
    "dd": lambda m: DAYS[_dow(m)][:2],
    "ddd": lambda m: DAYS[_dow(m)][:3],
    "dddd": lambda m: DAYS[_dow(m)],
    "e": lambda m: str(_dow(m)),
    "E": lambda m: str(m.dt.isoweekday()),
    "w": lambda m: str(week_of_year(m, 0, 6)[0]),
    "ww": lambda m: _pad(week_of_year(m, 0, 6)[0], 2),
    "wo": lambda m: ordinal(week_of_year(m, 0, 6)[0]),
    "W": lambda m: str(week_of_year(m, 1, 4)[0]),
    "WW": lambda m: _pad(week_of_year(m, 1, 4)[0], 2),
    "Wo": lambda m: ordinal(week_of_year(m, 1, 4)[0]),
    "Y": _year_token,
    "YY": lambda m: _pad(m.dt.year % 100, 2),
    "YYYY": lambda m: _pad(m.dt.year, 4),
    "YYYYY": lambda m: _pad(m.dt.year, 5),
    "YYYYYY": lambda m: _pad(m.dt.year, 6, force_sign=True),
    "y": lambda m: str(m.dt.year),
    "yy": lambda m: _pad(m.dt.year, 2),   # the era year, padded: not a two-digit year
    "yyy": lambda m: _pad(m.dt.year, 3),
    "yyyy": lambda m: _pad(m.dt.year, 4),
    "yo": lambda m: ordinal(m.dt.year),
    "gg": lambda m: _pad(week_of_year(m, 0, 6)[1] % 100, 2),
    "gggg": lambda m: _pad(week_of_year(m, 0, 6)[1], 4),
    "ggggg": lambda m: _pad(week_of_year(m, 0, 6)[1], 5),
    "GG": lambda m: _pad(week_of_year(m, 1, 4)[1] % 100, 2),
    "GGGG": lambda m: _pad(week_of_year(m, 1, 4)[1], 4),
    "GGGGG": lambda m: _pad(week_of_year(m, 1, 4)[1], 5),
    "N": lambda m: "AD", "NN": lambda m: "AD", "NNN": lambda m: "AD",
    "NNNN": lambda m: "Anno Domini", "NNNNN": lambda m: "AD",
    "a": lambda m: "am" if m.dt.hour < 12 else "pm",
    "A": lambda m: "AM" if m.dt.hour < 12 else "PM",
    "H": lambda m: str(m.dt.hour),
    "HH": lambda m: _pad(m.dt.hour, 2),
    "h": lambda m: str(_hour12(m)),
    "hh": lambda m: _pad(_hour12(m), 2),
    "k": lambda m: str(m.dt.hour or 24),
    "kk": lambda m: _pad(m.dt.hour or 24, 2),
    "Hmm": lambda m: f"{m.dt.hour}{m.dt.minute:02d}",
    "Hmmss": lambda m: f"{m.dt.hour}{m.dt.minute:02d}{m.dt.second:02d}",
    "hmm": lambda m: f"{_hour12(m)}{m.dt.minute:02d}",
    "hmmss": lambda m: f"{_hour12(m)}{m.dt.minute:02d}{m.dt.second:02d}",
    "m": lambda m: str(m.dt.minute),
    "mm": lambda m: _pad(m.dt.minute, 2),
    "s": lambda m: str(m.dt.second),
    "ss": lambda m: _pad(m.dt.second, 2),
    "Z": lambda m: _zone_offset(m, ":"),
    "ZZ": lambda m: _zone_offset(m, ""),
    "z": _zone_abbr,
    "zz": _zone_abbr,
    "X": lambda m: str(m.epoch_ms // 1000),
    "x": lambda m: str(m.epoch_ms),
}
_TOKENS.update({"S" * n: _fraction(n) for n in range(1, 10)})
