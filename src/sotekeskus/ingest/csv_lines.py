"""Physical line numbers of CSV records, so that an error can name the line an analyst
sees in an editor."""

from __future__ import annotations

import csv
import io


def record_lines(data: bytes, records: int) -> list[int] | range:
    """The physical line on which each data record starts (the header is line 1).

    With one line per record this is simply 2, 3, …; blank lines and line breaks inside
    quoted values shift it, and are then counted with the csv module. When the count of
    records does not agree with ``records`` the plain numbering is returned.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    physical = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if physical == records + 1:
        return range(2, records + 2)
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""))
    next(reader, None)
    starts: list[int] = []
    previous_end = reader.line_num
    for record in reader:
        if record:
            starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts if len(starts) == records else range(2, records + 2)
