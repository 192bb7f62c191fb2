"""Maintenance-firm credit evaluation (plan §2(2)): the formula, the nightly job, the public pages and API."""
