"""Interviews and their meetings.

The lifecycle table, moving an interview through it, what a calendar does to meetings, whose
word may change a meeting (authority), and when a fact happened (fact_times).
"""
