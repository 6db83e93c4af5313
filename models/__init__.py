"""The domain: pure rules and the database records they keep, with time always a parameter.

Grouped by concern: ``interviews`` (the lifecycle, meetings, whose word counts), ``inbox``
(recording mail and what it does), ``classify`` (what a message is), ``calendar`` (what a
calendar says), ``followups`` (when and what to send), ``outbox`` (every email's row, from
creation to sent), ``prep`` (prep sheets), ``contacts``, ``reports`` (what a person reads) and
``store`` (the database itself). Nothing here opens a socket or reads the clock.
"""
