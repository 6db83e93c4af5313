"""The outbox: every row's creation, status change and Message-ID, the mail built from a row, and

what a sent row does.
"""
