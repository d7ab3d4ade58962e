"""Response data: reading survey files, checking them against a framework, storing waves."""
