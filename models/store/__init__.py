"""The database: engines and migrations, tables and column types, the unit of work and the domain

events it records.
"""
