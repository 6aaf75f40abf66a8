"""Reports: CSV (UTF-8 with BOM for Japanese Excel) and PDF."""
