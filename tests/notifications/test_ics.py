"""The hand-written RFC 5545 generator: CRLF lines, folding at 75 octets, TEXT escaping."""

from datetime import UTC, datetime

from referee.notifications import ics

DEADLINE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_calendar_has_crlf_lines_and_one_event_at_the_deadline():
    text = ics.Event(uid="u-1@example.org", deadline=DEADLINE, summary="Due", url="https://x.test/r/").render(DEADLINE)
    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and "VERSION:2.0" in lines and lines.count("BEGIN:VEVENT") == 1
    assert {"UID:u-1@example.org", "DTSTART:20260310T113000Z", "DTEND:20260310T120000Z",
            "DTSTAMP:20260310T120000Z", "SUMMARY:Due", "URL:https://x.test/r/"} <= set(lines)


def test_long_lines_fold_at_75_octets_without_splitting_characters():
    summary = "Évaluation des propositions — océanographie physique, " * 4
    text = ics.Event(uid="u", deadline=DEADLINE, summary=summary).render(DEADLINE)
    physical = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in physical)
    assert any(line.startswith(" ") for line in physical)
    assert f"SUMMARY:{ics.escape(summary)}" in unfold(text)  # each fragment decodes on its own


def test_text_values_are_escaped():
    assert ics.escape('a,b;c\\d\ne') == "a\\,b\\;c\\\\d\\ne"
