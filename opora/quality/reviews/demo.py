"""Demo QA: a scorecard and reviews of the demo team's tickets."""


def seed_reviews() -> None:
    """Idempotent: running the demo seed again adds nothing."""
