"""Follow-up mail: when it is due (cadence), planning thank-yous, nudges, updates and outreach,

first runs, the next due time.
"""
