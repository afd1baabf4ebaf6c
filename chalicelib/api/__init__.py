"""The HTTP API: blueprints of thin routes over the services, and the OpenAPI description."""
