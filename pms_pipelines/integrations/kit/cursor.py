"""A vendor's own change marker, kept per agency and entity between pulls.

Some PMSs filter changes by a value of their own rather than by a time: PropertyMe's
`Timestamp` ("records returned will have a changed timestamp greater than this value")
is an int64 whose unit its spec does not give, and every record it returns carries its
own. Converting our clock into it would be a guess; the highest value seen is not. So
a pull reads the marker the last successful pull of the same entity left (`stored`),
notes what it sees (`found`), and the platform stores `found` beside the watermark in
the same transaction, only when the pull succeeds. A pull that sees nothing leaves the
stored marker as it was.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ChangeCursor:
    stored: str | None = None  # what the last successful pull left; None: none yet
    found: str | None = None  # what this pull has seen so far

    def stored_int(self) -> int | None:
        """`stored` as an integer; None when there is none or it is not one (a marker
        of another shape reads everything again, which loses nothing)."""
        try:
            return None if self.stored is None else int(self.stored)
        except ValueError:
            return None

    def saw_int(self, value: object) -> None:
        """Keep the highest non-negative integer seen (bools and other types ignored:
        a record without a usable marker is still pulled, it just moves nothing)."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            if self.found is None or value > int(self.found):
                self.found = str(value)
