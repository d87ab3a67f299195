"""The demo company's knowledge base."""


def seed_knowledge() -> None:
    """Idempotent: running the demo seed again adds nothing."""
