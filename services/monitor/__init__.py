"""`foundry-platform monitor`: polls every FoundryInstance's `/api/status`, publishes players in status,
nudges licenses whose switchover waits, serves /metrics and /healthz."""
