"""The ERP's end of the AutoPay wire: a signed HTTP client, message schemas and the pain.001 builder.

A plain package: no Django models, and no knowledge of the ERP's apps. The contract is docs/autopay-wire.md.
"""
