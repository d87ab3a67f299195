"""The `opora` console script: Django's management commands under Opora's name.

`opora migrate`, `opora serve`, `opora seed_demo`, `opora createsuperuser`…
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    argv[0] = "opora"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
