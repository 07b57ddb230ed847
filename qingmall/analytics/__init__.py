"""Analytics: read-only figures for the merchant (the console's dashboard)."""
