"""Mail that arrived or was sent, and what it does.

Recording a batch with its cursor, each message's effect on an interview, which messages are
worth fetching in full, drafts the user sent, and mail that could not be read in its budget.
"""
