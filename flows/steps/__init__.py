"""The work the Prefect flows call: one module per concern, and ``cycle.STEPS``, the one list of

cycle steps.
"""
