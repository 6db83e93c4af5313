"""Follow-up mail: when it is due and what it says.

Cadence (send windows, business days, delays), planning thank-yous, nudges, updates and
outreach, a first run over an account with history, and the next moment anything is due.
"""
