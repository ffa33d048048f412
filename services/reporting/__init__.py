"""Roll-ups and the quarterly 通报: SQLite store, region names, tables and file formats."""
