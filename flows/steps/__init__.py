"""The work the Prefect flows and the service call, one module per concern.

``cycle.STEPS`` is the one list of cycle steps: a new step is a module with its function and
``Step``, and one entry in that list.
"""
