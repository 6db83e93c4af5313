"""The Prefect entry points, and nothing else: each flow is a few lines over ``flows.steps``.

``sync_inbox``, ``sync_calendar``, ``prepare_interviews``, ``send_follow_ups``, ``dispatch``
(deployable, see deployments/prefect.yaml) and ``service_cycle`` (the flow ``coffeechat run``
makes of ``steps.cycle.STEPS``).
"""
