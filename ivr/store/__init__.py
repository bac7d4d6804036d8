"""The registration store: the database engine, its tables and their migrations."""
