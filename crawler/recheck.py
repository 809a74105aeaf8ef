"""When to look at a known article again: a back-off by the story's age, as NewsDiffs does.

A young story changes often and is re-checked often; an old one rarely. The policy is a list of
``age=interval`` steps, e.g. ``"1h=15m,1d=1h,7d=6h,30d=1d,*=7d"``: a story up to an hour old is
re-checked every 15 minutes, ..., anything older every 7 days. ``always`` re-checks every known
article on every crawl (conditionally, so an unchanged page costs a 304); ``never`` never does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .sites import parse_interval

DEFAULT_POLICY = "1h=15m,1d=1h,7d=6h,30d=1d,*=7d"


@dataclass(frozen=True)
class RecheckPolicy:
    steps: tuple[tuple[timedelta | None, timedelta], ...]  # (max age or None for any, interval)
    always: bool = False
    never: bool = False

    @classmethod
    def parse(cls, text: str) -> RecheckPolicy:
        text = text.strip().lower()
        if text in ("always", "never"):
            return cls((), always=text == "always", never=text == "never")
        steps = []
        for part in text.split(","):
            age, sep, interval = part.partition("=")
            if not sep:
                raise ValueError(f"recheck step {part!r} is not AGE=INTERVAL (e.g. 1d=1h)")
            steps.append((None if age.strip() == "*" else parse_interval(age), parse_interval(interval)))
        if not steps or steps[-1][0] is not None:
            steps.append((None, steps[-1][1] if steps else timedelta(days=7)))
        return cls(tuple(steps))

    def interval(self, age: timedelta) -> timedelta:
        for max_age, interval in self.steps:
            if max_age is None or age <= max_age:
                return interval
        return self.steps[-1][1]

    def windows(self, now: datetime) -> list[tuple[datetime | None, datetime | None, datetime]]:
        """Where due articles can be, for a database to narrow its scan: ``(published from, published
        until, last fetched before)`` per step (None: no bound), each widened by a minute. ``due``
        decides; an article outside every window is not due now."""
        if self.never:
            return []
        if self.always:
            return [(None, None, now + timedelta(days=1))]
        margin, windows, younger = timedelta(minutes=1), [], None
        for max_age, interval in self.steps:
            oldest = None if max_age is None else now - max_age - margin
            newest = None if younger is None else now - younger + margin
            windows.append((oldest, newest, now - interval + margin))
            if max_age is None:
                break
            younger = max_age if younger is None else max(younger, max_age)
        return windows

    def due(self, published: datetime | None, last_fetched: datetime | None, now: datetime) -> bool:
        """Whether a known article should be fetched (conditionally) again now."""
        if self.always or last_fetched is None:
            return True
        if self.never:
            return False
        age = now - (published or last_fetched)
        return now - last_fetched >= self.interval(age)
