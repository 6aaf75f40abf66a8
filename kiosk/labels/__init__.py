"""Label sheets for management IDs: Code 128, a 2-D symbol of the same ID, and the digits in print."""
