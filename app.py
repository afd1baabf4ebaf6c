"""Entry points only: the app, its middleware and its blueprints. Rules live in `chalicelib/`."""

import os

from chalice import Chalice

from chalicelib.api import docs, jobs, public, site, staff
from chalicelib.api.http import error_shape
from chalicelib.observability import observe, share_logger_config
from chalicelib.settings import get_settings

app = Chalice(app_name="complaints")
app.register_middleware(observe, "http")
app.register_middleware(error_shape, "http")
app.register_blueprint(docs.bp)
app.register_blueprint(public.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(site.bp)
app.register_blueprint(jobs.bp)
share_logger_config()
if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    get_settings()  # in Lambda the environment is there at init: a missing setting stops the cold start
