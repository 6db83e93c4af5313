"""The outbox: every row's creation, status change and Message-ID, the mail built from a row, and
what a sent row does.

states.py (statuses, kinds, modes, the table of moves), rows.py (new_row, move: the only writers
of a status), steps.py (the sender's transactions), mailbuild.py (the email, new_message_id),
effects.py (what a sent row does to its interview).
"""
