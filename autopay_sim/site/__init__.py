"""The simulated AutoPay as a service of its own: settings, URLs, WSGI application and health checks.

`DJANGO_SETTINGS_MODULE=autopay_sim.site.settings` with `manage.py` gives the same management commands
(`autopay_sim_company`, `autopay_sim_bank`, `migrate`, `createsuperuser`) against the simulator's own
database.
"""
