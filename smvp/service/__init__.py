"""The smvp service: many Chambers (tenants) in one deployment.

``smvp.service.web``: the pages of the evaluation cycle, one per role (issue 11).
"""
