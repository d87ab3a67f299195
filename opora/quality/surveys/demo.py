"""Demo surveys: NPS answers by client account, follow-ups of low scores."""


def seed_surveys() -> None:
    """Idempotent: running the demo seed again adds nothing."""
