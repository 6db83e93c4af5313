"""The edge: IMAP, SMTP, calendar sources, configuration, secrets and rendering.

Each integration turns the outside world's failures into its own errors with a hint, so the
flows never see a socket exception, and never logs a secret.
"""
