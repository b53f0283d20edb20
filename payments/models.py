"""Payment proposals, payments and their lines (built by the outgoing-payments capability)."""
