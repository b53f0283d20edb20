"""Services of the payments app, one module per capability: proposal, editing, the duplicate-payment guard,
upload, status (AutoPay's messages) and settlement."""
