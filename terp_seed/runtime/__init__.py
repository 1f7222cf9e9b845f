"""The seed run's machinery: options, lock, schema gate, environment policy, the env entry."""
