"""Quality models: surveys (being built)."""
