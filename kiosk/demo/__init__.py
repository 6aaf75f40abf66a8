"""The demo and training ledger: a small office with staff, cards and today's bookings."""
