"""Writes to payments, by capability: proposal, editing, the duplicate-payment guard and upload."""
