"""Quality models: reviews (being built)."""
