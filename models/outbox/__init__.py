"""The outbox: each row's creation, status moves and Message-ID, its email, what sending it does.

states.py (statuses, kinds, modes, the table of moves), rows.py (new_row, move: the only writers
of a status), steps.py (the sender's transactions), mailbuild.py (the email, new_message_id),
effects.py (what a sent row does to its interview).
"""
