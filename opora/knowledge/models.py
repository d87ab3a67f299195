"""Knowledge base: sections with owners, articles with versions and review dates."""
