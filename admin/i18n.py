"""The languages a client's page and email are written in."""

LANGUAGES = {"en": "English", "lt": "Lietuvių"}
DEFAULT_LANGUAGE = "en"
