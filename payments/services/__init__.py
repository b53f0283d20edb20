"""Services of the payments app, one module per capability (proposal, upload, status, settlement, …)."""
