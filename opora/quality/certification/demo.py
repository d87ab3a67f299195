"""Demo certification: a test built from knowledge-base articles, assigned with results."""


def seed_certification() -> None:
    """Idempotent: running the demo seed again adds nothing."""
