"""Quality: CSAT answers, QA scorecards and reviews, NPS surveys, certification.

One module per part; each part's services live beside it in the app
(`services.py` for CSAT, `reviews.py`, `surveys.py`, `certification.py`).
"""

from opora.quality.models.certification import *  # noqa: F403
from opora.quality.models.csat import *  # noqa: F403
from opora.quality.models.reviews import *  # noqa: F403
from opora.quality.models.surveys import *  # noqa: F403
