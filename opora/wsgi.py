"""WSGI entry point: `gunicorn opora.wsgi` (what `opora serve` runs)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opora.settings")

application = get_wsgi_application()
