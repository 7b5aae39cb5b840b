"""A minimal RFC 5545 calendar with one VEVENT, enough for a deadline in a mail attachment.

Written here rather than pulled in as a dependency: one event, UTC times, no recurrence."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PRODID = "-//Referee//Reviewer assignment//EN"
MIMETYPE = "text/calendar"
FILENAME = "deadline.ics"
# A deadline is an instant; calendars show it better as a short slot that ends exactly then
# (RFC 5545 3.8.2.2: DTEND must be later than DTSTART).
SLOT = timedelta(minutes=30)


@dataclass(frozen=True)
class Event:
    uid: str
    deadline: datetime
    summary: str
    url: str = ""
    description: str = ""
    # Higher SEQUENCE tells a calendar that an event with the same UID was revised (a new deadline).
    sequence: int = 0

    def render(self, stamp: datetime) -> str:
        lines = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{PRODID}",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            "BEGIN:VEVENT",
            f"UID:{escape(self.uid)}",
            f"SEQUENCE:{self.sequence}",
            f"DTSTAMP:{utc(stamp)}",
            f"DTSTART:{utc(self.deadline - SLOT)}",
            f"DTEND:{utc(self.deadline)}",
            f"SUMMARY:{escape(self.summary)}",
        ]
        if self.description:
            lines.append(f"DESCRIPTION:{escape(self.description)}")
        if self.url:
            lines.append(f"URL:{self.url}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT", "END:VCALENDAR"]
        return "".join(fold(line) + "\r\n" for line in lines)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 sequence."""
    parts, current, size = [], "", 0
    for char in line:
        width = len(char.encode())
        # Continuation lines start with a space, which counts towards their 75 octets.
        if size + width > limit:
            parts.append(current)
            current, size = " ", 1
        current += char
        size += width
    parts.append(current)
    return "\r\n".join(parts)
