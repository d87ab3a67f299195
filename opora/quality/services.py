"""Changes to quality data: a client's CSAT answer.

`csat_record` lives with the rest of the surveys (opora/quality/surveys/services.py),
where a low answer opens a follow-up; it is re-exported here for its callers.
"""

from __future__ import annotations

from opora.quality.surveys.services import RATABLE, csat_record

__all__ = ["RATABLE", "csat_record"]
