"""Languages: gettext catalogs, locale negotiation, Babel formatting, input parsing."""
