"""Mail that arrived or was sent: recording a batch, what each message does, what is worth

fetching, what could not be read.
"""
