#!/usr/bin/env python
"""Django's manage.py; `opora` (the console script) does the same."""

from opora.cli import main

if __name__ == "__main__":
    main()
