"""Partner feed profiles: how each partner writes its files (data in partner_feeds.yaml)."""
