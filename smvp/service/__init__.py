"""The multi-tenant service (FastAPI): ``smvp serve``. JSON API in ``smvp.service.api``;
accounts, sessions, tokens, CSRF and login rate limiting in ``smvp.service.auth``.
The pages of the evaluation cycle, one per role (issue 11), in ``smvp.service.web``."""
