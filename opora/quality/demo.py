"""The demo company's quality data: QA reviews, NPS, certification."""

from opora.quality.certification.demo import seed_certification
from opora.quality.reviews.demo import seed_reviews
from opora.quality.surveys.demo import seed_surveys


def seed_quality() -> None:
    seed_reviews()
    seed_surveys()
    seed_certification()
