"""Factoring companies, KID definitions and incoming payments (built by the incoming-payments capability)."""
