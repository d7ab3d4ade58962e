"""Client reports in bulk: plan, run isolated per client, record a manifest."""
