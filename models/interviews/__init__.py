"""Interviews and their meetings: the lifecycle, the calendar's effects, whose word counts, when

facts happened.
"""
