"""Debriefs: what the user says about a meeting, parsed into fields, and who may read each field.

``fields.DebriefFields`` is the shape every part agrees on: the parser (``parse``) makes it from
the user's free-text reply, the store keeps it, and the thank-you quotes only ``PUBLIC_FIELDS``.
"""
