"""The ledger (管理簿): an append-only, hash-chained event log and the projections built from it."""
