"""Quality models: certification (being built)."""
