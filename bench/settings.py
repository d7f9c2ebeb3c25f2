"""The portal's own settings for the benchmark; only the URLs (one extra ladder view) and
the place of the collected static files differ."""

from portal.settings import *  # noqa: F403
from portal.settings import VAR_DIR

ROOT_URLCONF = "bench.urls"
STATIC_ROOT = VAR_DIR / "bench" / "static"
