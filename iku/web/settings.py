"""The portal's own environment (CONTRACT §10): IKU_WEB_*, read in iku/settings.py
with every other setting; importable from here too."""

from iku.settings import WebSettings as WebSettings
from iku.settings import revoked_file as revoked_file
from iku.settings import session_secret as session_secret
