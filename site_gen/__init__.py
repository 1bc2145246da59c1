"""Turn invoice content files into static payment pages and publish them.

site_gen knows nothing of the admin or its database: given ``content/``
alone it can rebuild and republish every page.
"""

from .build import pelican_settings, write_pelicanconf
from .errors import PageError, PublishError, SettingsError
from .site import Site, SyncResult

__all__ = [
    "PageError",
    "PublishError",
    "SettingsError",
    "Site",
    "SyncResult",
    "pelican_settings",
    "write_pelicanconf",
]
