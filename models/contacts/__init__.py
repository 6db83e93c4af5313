"""Contacts: records in the database, importing from CSV and vCard."""
