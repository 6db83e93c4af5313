"""The database.

Engines and migrations, the tables and their column types, sync cursors, the unit of work, and
the domain events it records in the same transaction.
"""
